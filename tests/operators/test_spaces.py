"""Space operators that wait (restart, hardware, duplicate) on both paths, over real HTTP to the fake Hub."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from airflow_provider_hfhub.hub import ForbiddenError
from airflow_provider_hfhub.operators.spaces import (
    HfDuplicateSpaceOperator,
    HfRequestSpaceHardwareOperator,
    HfRestartSpaceOperator,
    SpaceError,
)
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import TaskInstance, TaskStateStore, assert_streamed_once, context_for, run_task

PATHS = ["sync", "deferrable"]
SPACE = "fake-user/demo-app"
BUILD = [f"Step {i}/4 : RUN pip install -r requirements.txt ({i})" for i in range(1, 5)]
RUN = ["Loading model weights", "Running on local URL:  http://0.0.0.0:7860"]
SUMMARY_KEYS = {"repo_id", "url", "stage", "hardware", "requested_hardware", "sleep_time", "storage",
                "error_message"}  # fmt: skip


def restart(path: str, **kwargs: object) -> HfRestartSpaceOperator:
    settings: dict[str, object] = {"task_id": "restart", "repo_id": SPACE, "deferrable": path == "deferrable"}
    return HfRestartSpaceOperator(**{**settings, "poll_interval": 1.0, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize("path", PATHS)
def test_restart_waits_for_running_and_streams_build_then_run_logs_once(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_space(SPACE, build_lines=BUILD, run_lines=RUN)
    ti = TaskInstance(task_id="restart")
    result = run_task(restart(path), context_for(ti))
    state = hub_connection.space_state(SPACE)
    assert state["stage"] == "RUNNING" and state["restarts"][-1]["factory"] is False
    assert set(result) == SUMMARY_KEYS
    assert result["stage"] == "RUNNING" and state["build_id"] == 2
    assert (
        ti.xcoms == {"space_url": f"{hub_connection.url}/spaces/{SPACE}"}
        and result["url"] == ti.xcoms["space_url"]
    )
    assert_streamed_once(capsys.readouterr().out, BUILD + RUN)


@pytest.mark.parametrize("path", PATHS)
def test_factory_reboot_is_requested_as_such(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_space(SPACE)
    run_task(restart(path, factory_reboot=True))
    [request] = [r for r in hub_connection.requests() if r["path"].endswith("/restart")]
    assert request["query"] == [["factory", "true"]]
    assert hub_connection.space_state(SPACE)["restarts"][-1]["factory"] is True


@pytest.mark.parametrize("path", PATHS)
def test_build_error_fails_with_the_hub_message_and_the_build_log_tail(
    hub_connection: FakeHub, path: str
) -> None:
    message = "ERROR: No matching distribution found for torch==9.9"
    hub_connection.add_space(SPACE, build_lines=BUILD, outcome="BUILD_ERROR", error_message=message)
    with pytest.raises(SpaceError) as caught:
        run_task(restart(path))
    text = str(caught.value)
    assert f"Space {SPACE} ended BUILD_ERROR: {message}" in text
    assert "Last log lines:" in text and BUILD[-1] in text


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("stream_logs", [True, False])
def test_runtime_error_fails_with_the_run_log_tail(
    hub_connection: FakeHub, path: str, stream_logs: bool
) -> None:
    run_lines = [
        *RUN[:1],
        "Traceback (most recent call last):",
        "ModuleNotFoundError: No module named 'gradio'",
    ]
    hub_connection.add_space(
        SPACE, run_lines=run_lines, outcome="RUNTIME_ERROR", error_message="Exit code: 1"
    )
    with pytest.raises(SpaceError) as caught:
        run_task(restart(path, stream_logs=stream_logs))
    text = str(caught.value)
    assert "ended RUNTIME_ERROR: Exit code: 1" in text
    assert "Last log lines:" in text and "No module named 'gradio'" in text


@pytest.mark.parametrize("path", PATHS)
def test_stale_running_right_after_the_restart_is_not_success(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The Hub keeps saying RUNNING (the old run) for 1 s while the new build takes 2 s more.
    hub_connection.add_space(SPACE, run_lines=RUN, stale_running_seconds=1.0, build_seconds=2.0)
    started = time.monotonic()
    result = run_task(restart(path))
    state = hub_connection.space_state(SPACE)
    assert state["stage"] == "RUNNING", "the task succeeded before the Space had rebuilt"
    assert result["stage"] == "RUNNING" and state["build_id"] == 2
    assert time.monotonic() - started >= 3.0  # the stale second, then the two of the build
    out = capsys.readouterr().out
    assert "never seen leaving RUNNING since the restart" in out
    assert_streamed_once(out, RUN)


@pytest.mark.parametrize("path", PATHS)
def test_hardware_request_waits_until_current_hardware_is_the_requested_one(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # RUNNING is reported on cpu-basic (requested t4-small) for a while: that is not done yet.
    hub_connection.add_space(
        SPACE, hardware="cpu-basic", stale_running_seconds=0.8, hardware_switch_seconds=1.5
    )
    operator = HfRequestSpaceHardwareOperator(
        task_id="hardware", repo_id=SPACE, hardware="t4-small", sleep_time=3600,
        deferrable=path == "deferrable", poll_interval=1.0,
    )  # fmt: skip
    result = run_task(operator)
    assert (result["stage"], result["hardware"], result["requested_hardware"]) == (
        "RUNNING",
        "t4-small",
        "t4-small",
    )
    state = hub_connection.space_state(SPACE)
    assert (state["stage"], state["hardware"], state["sleep_time"]) == ("RUNNING", "t4-small", 3600)
    assert "is RUNNING on cpu-basic (waiting for t4-small) (hardware cpu-basic, requested t4-small)" in (
        capsys.readouterr().out
    )
    [body] = [r["json"] for r in hub_connection.requests() if r["path"].endswith("/hardware")]
    assert body == {"flavor": "t4-small", "sleepTimeSeconds": 3600}


@pytest.mark.parametrize("path", PATHS)
def test_duplicate_copies_settings_and_waits_for_the_copy_to_run(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_space(SPACE, variables={"KEPT": "yes"})
    ti = TaskInstance(task_id="copy")
    operator = HfDuplicateSpaceOperator(
        task_id="copy", repo_id=SPACE, to_id="demo-app-staging", private=True, hardware="t4-small",
        sleep_time=600, secrets={"API_TOKEN": "dup-secret-5f3a"}, variables={"STAGE": "staging"},
        deferrable=path == "deferrable", poll_interval=1.0,
    )  # fmt: skip
    result = run_task(operator, context_for(ti))
    copy = "fake-user/demo-app-staging"
    assert (result["repo_id"], result["stage"], result["hardware"]) == (copy, "RUNNING", "t4-small")
    assert ti.xcoms == {"space_url": f"{hub_connection.url}/spaces/{copy}"}
    state = hub_connection.space_state(copy)
    assert state["stage"] == "RUNNING" and state["sleep_time"] == 600
    assert set(state["secrets"]) == {"API_TOKEN"}
    assert {k: v["value"] for k, v in state["variables"].items()} == {"KEPT": "yes", "STAGE": "staging"}
    [body] = [r["json"] for r in hub_connection.requests() if r["path"].endswith("/duplicate")]
    assert body["repository"] == copy and body["visibility"] == "private"
    assert "dup-secret-5f3a" not in str(result) + str(ti.xcoms) + capsys.readouterr().out


@pytest.mark.parametrize("path", PATHS)
def test_startup_timeout_fails_the_task_without_waiting_for_the_build(
    hub_connection: FakeHub, path: str
) -> None:
    hub_connection.add_space(SPACE, build_seconds=60)
    started = time.monotonic()
    with pytest.raises(
        SpaceError, match=r"was not RUNNING 1\.5 s after the request \(startup_timeout\); it is BUILDING"
    ):
        run_task(restart(path, startup_timeout=1.5))
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("path", PATHS)
def test_execution_timeout_fails_the_task(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_space(SPACE, build_seconds=60)
    with pytest.raises(SpaceError, match="outlived the task's execution_timeout; it is BUILDING"):
        run_task(restart(path, execution_timeout=timedelta(seconds=1.5)))


@pytest.mark.parametrize("path", PATHS)
def test_space_of_another_user_fails_clearly_with_403(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_space("someone-else/app")
    with pytest.raises(ForbiddenError) as caught:
        run_task(restart(path, repo_id="someone-else/app"))
    text = str(caught.value)
    assert "403" in text and "someone-else/app" in text and "write access" in text
    assert hub_connection.space_state("someone-else/app")["restarts"] == []


def test_wait_for_running_false_returns_at_once(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, build_seconds=60)
    result = run_task(restart("sync", wait_for_running=False))
    assert result["stage"] == "BUILDING"


@pytest.fixture
def both_paths(hub_connection: FakeHub) -> dict[str, tuple[dict, str]]:
    outcomes: dict[str, tuple[dict, str]] = {}
    for path in PATHS:
        hub_connection.add_space(SPACE, run_lines=RUN)
        result = run_task(restart(path))
        hub_connection.add_space(
            SPACE, build_lines=BUILD, outcome="BUILD_ERROR", error_message="no Dockerfile"
        )
        with pytest.raises(SpaceError) as caught:
            run_task(restart(path))
        outcomes[path] = (result, str(caught.value))
    return outcomes


def test_sync_and_deferrable_paths_agree(both_paths: dict[str, tuple[dict, str]]) -> None:
    (sync_result, sync_error), (deferred_result, deferred_error) = (
        both_paths["sync"],
        both_paths["deferrable"],
    )
    assert sync_result == deferred_result
    assert sync_error == deferred_error
    assert "ended BUILD_ERROR: no Dockerfile" in sync_error


COPY = "fake-user/demo-app-staging"


def duplicate(path: str, **kwargs: object) -> HfDuplicateSpaceOperator:
    settings: dict[str, object] = {
        "task_id": "copy", "repo_id": SPACE, "to_id": "demo-app-staging", "hardware": "t4-small",
        "variables": {"STAGE": "staging"}, "deferrable": path == "deferrable", "poll_interval": 1.0,
    }  # fmt: skip
    return HfDuplicateSpaceOperator(**{**settings, **kwargs})  # type: ignore[arg-type]


def _duplicate_posts(hub: FakeHub) -> int:
    return len([r for r in hub.requests() if r["path"].endswith("/duplicate") and r["method"] == "POST"])


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("with_store", [False, True], ids=["before-3.3", "task-state-store"])
def test_a_retry_takes_over_the_copy_its_first_try_made(
    hub_connection: FakeHub, path: str, with_store: bool
) -> None:
    hub_connection.add_space(SPACE, build_seconds=0.3)
    # The Hub makes the copy but its answer is lost (a 500 after the work): the first try fails.
    hub_connection.inject_fault(path=r"/duplicate$", method="POST", when="after", status=500)
    store = TaskStateStore() if with_store else None
    with pytest.raises(Exception, match="500"):
        run_task(duplicate(path), context_for(TaskInstance(task_id="copy", try_number=1), store))
    assert hub_connection.space_state(COPY)["build_id"] == 2  # made once, by the first try
    retry = TaskInstance(task_id="copy", try_number=2)
    result = run_task(duplicate(path), context_for(retry, store))
    assert (result["repo_id"], result["stage"], result["hardware"]) == (COPY, "RUNNING", "t4-small")
    assert retry.xcoms == {"space_url": f"{hub_connection.url}/spaces/{COPY}"}
    # The retry asked again (the Hub answered 409) and made no second copy: one build, one restart.
    assert _duplicate_posts(hub_connection) == 2
    assert [r["reason"] for r in hub_connection.space_state(COPY)["restarts"]] == ["duplicate"]


@pytest.mark.parametrize("try_number", [1, 2])
def test_a_first_try_never_takes_over_an_existing_space(hub_connection: FakeHub, try_number: int) -> None:
    hub_connection.add_space(SPACE)
    hub_connection.add_space(COPY, variables={"OTHER": "app"})  # someone else's Space of that name
    ti = TaskInstance(task_id="copy", try_number=try_number)
    with pytest.raises(SpaceError) as caught:
        run_task(duplicate("sync"), context_for(ti))
    text = str(caught.value)
    assert f"Space {COPY} already exists" in text and "409" in text and "not taking it over" in text
    why = "first try" if try_number == 1 else "its requested hardware is cpu-basic, not t4-small"
    assert why in text
    assert hub_connection.space_state(COPY)["restarts"] == [] and ti.xcoms == {}


def test_a_retry_refuses_a_space_no_earlier_try_asked_for(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE)
    hub_connection.add_space(COPY, hardware="t4-small", variables={"STAGE": "staging"})
    ti = TaskInstance(task_id="copy", try_number=2)
    with pytest.raises(SpaceError, match=r"no earlier try of this task asked for it \(task state store\)"):
        run_task(duplicate("sync"), context_for(ti, TaskStateStore()))


def test_a_retry_refuses_a_space_with_other_variables(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE)
    hub_connection.add_space(COPY, hardware="t4-small", variables={"STAGE": "production"})
    with pytest.raises(SpaceError, match=r"its variables \['STAGE'\] are not the ones asked for"):
        run_task(duplicate("sync"), context_for(TaskInstance(task_id="copy", try_number=2)))
