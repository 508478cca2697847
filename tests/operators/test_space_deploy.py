"""HfDeploySpaceOperator: push with the official client, then wait for that commit's build, over real HTTP."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowException, TaskDeferred

from airflow_provider_hfhub.operators.spaces import HfDeploySpaceOperator, SpaceError
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import TaskInstance, assert_streamed_once, context_for, run_task

SPACE = "fake-user/deploy-app"
BUILD = ["Step 1/2 : COPY app.py", "Step 2/2 : RUN pip install gradio"]
RUN = ["Running on local URL:  http://0.0.0.0:7860"]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("import gradio\n")
    (tmp_path / "notes.md").write_text("not deployed\n")
    return tmp_path


def deploy(folder: Path, path: str = "deferrable", **kwargs: object) -> HfDeploySpaceOperator:
    settings: dict[str, object] = {
        "task_id": "deploy", "repo_id": SPACE, "folder_path": str(folder), "deferrable": path == "deferrable",
        "poll_interval": 1.0, "ignore_patterns": ["*.md"], "commit_message": "Deploy from Airflow",
    }  # fmt: skip
    return HfDeploySpaceOperator(**{**settings, **kwargs})  # type: ignore[arg-type]


def commits(hub: FakeHub) -> list[dict[str, object]]:
    return [r for r in hub.requests() if r["method"] == "POST" and r["path"].endswith("/commit/main")]


@pytest.mark.parametrize("path", ["sync", "deferrable"])
def test_deploy_pushes_and_waits_for_the_new_build(
    hub_connection: FakeHub, app: Path, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The old build keeps serving (RUNNING_BUILDING) while the new one builds.
    hub_connection.add_space(SPACE, build_lines=BUILD, run_lines=RUN, build_seconds=1.0)
    old = hub_connection.space_state(SPACE)["sha"]
    ti = TaskInstance(task_id="deploy")
    result = run_task(deploy(app, path), context_for(ti))
    state = hub_connection.space_state(SPACE)
    assert ti.xcoms["commit_id"] != old and len(ti.xcoms["commit_id"]) == 40
    assert state["sha"] == ti.xcoms["commit_id"] and state["restarts"][-1]["sha"] == ti.xcoms["commit_id"]
    assert ti.xcoms["commit_url"].endswith(f"/spaces/{SPACE}/commit/{ti.xcoms['commit_id']}")
    assert result["stage"] == "RUNNING"
    assert len(commits(hub_connection)) == 1
    out = capsys.readouterr().out
    assert_streamed_once(out, BUILD + RUN)
    assert "RUNNING_BUILDING" in out


def test_the_old_build_still_reported_running_is_not_the_new_one(hub_connection: FakeHub, app: Path) -> None:
    # Right after the push the Hub still reports RUNNING, with the old build's sha, for a moment.
    hub_connection.add_space(SPACE, stale_running_seconds=2.0, build_seconds=0.5)
    ti = TaskInstance(task_id="deploy")
    run_task(deploy(app, "sync", stream_logs=False), context_for(ti))
    state = hub_connection.space_state(SPACE)  # read as the task ends: its new build must run
    assert (state["reported_stage"], state["sha"]) == ("RUNNING", ti.xcoms["commit_id"])


def test_build_error_fails_with_the_hubs_message_and_build_tail(hub_connection: FakeHub, app: Path) -> None:
    hub_connection.add_space(
        SPACE, build_lines=BUILD, outcome="BUILD_ERROR", error_message="Build failed with exit code: 2"
    )
    with pytest.raises(SpaceError, match="BUILD_ERROR: Build failed with exit code: 2") as failed:
        run_task(deploy(app))
    assert "Step 2/2 : RUN pip install gradio" in str(failed.value)


def test_retry_after_a_kill_mid_build_pushes_nothing_and_reattaches(
    hub_connection: FakeHub, app: Path
) -> None:
    hub_connection.add_space(SPACE, build_lines=BUILD, run_lines=RUN, build_seconds=1.0)
    first = TaskInstance(task_id="deploy")
    with pytest.raises(TaskDeferred) as deferred:  # the worker dies here: its trigger never runs
        deploy(app).execute(context_for(first))
    kwargs = deferred.value.trigger.serialize()[1]
    assert kwargs["commit"] == first.xcoms["commit_id"] and hub_connection.token not in json.dumps(kwargs)
    assert hub_connection.space_state(SPACE)["reported_stage"] == "RUNNING_BUILDING"
    second = TaskInstance(task_id="deploy", try_number=2)
    result = run_task(deploy(app), context_for(second))
    assert len(commits(hub_connection)) == 1  # the same content again is no commit
    assert second.xcoms["commit_id"] == first.xcoms["commit_id"]
    assert result["stage"] == "RUNNING"
    assert hub_connection.space_state(SPACE)["sha"] == first.xcoms["commit_id"]


def test_empty_diff_makes_no_commit_and_waits_for_the_running_build(
    hub_connection: FakeHub, app: Path
) -> None:
    hub_connection.add_space(SPACE)
    first = TaskInstance(task_id="deploy")
    run_task(deploy(app, "sync", stream_logs=False), context_for(first))
    again = TaskInstance(task_id="deploy")
    assert run_task(deploy(app, "sync", stream_logs=False), context_for(again))["stage"] == "RUNNING"
    assert len(commits(hub_connection)) == 1
    assert again.xcoms["commit_id"] == first.xcoms["commit_id"]


def test_without_a_runtime_sha_the_stage_rule_decides(hub_connection: FakeHub, app: Path) -> None:
    # No sha to compare: the RUNNING reported right after the push must be seen to end first.
    hub_connection.add_space(SPACE, runtime_sha=False, stale_running_seconds=4.0, build_seconds=2.5)
    ti = TaskInstance(task_id="deploy")
    assert run_task(deploy(app, stream_logs=False), context_for(ti))["stage"] == "RUNNING"
    state = hub_connection.space_state(SPACE)
    assert "sha" not in state["runtime"] and state["sha"] == ti.xcoms["commit_id"]


def test_bad_arguments_and_missing_extra_fail_before_any_hub_call(
    hub_connection: FakeHub, app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="delete_patterns must be a glob pattern"):
        deploy(app, delete_patterns=[1])
    with pytest.raises(ValueError, match="is not a folder on this worker"):
        deploy(app / "missing").execute(context_for())
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # as if the extra were not installed
    with pytest.raises(AirflowException, match=r"airflow-provider-hfhub\[deploy\]"):
        deploy(app).execute(context_for())
    assert hub_connection.requests() == []
