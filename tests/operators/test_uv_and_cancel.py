"""The uv Job operator and the cancel operator, over the fake Hub."""

from __future__ import annotations

import base64

import pytest

from airflow_provider_hfhub.operators.jobs import HfCancelJobOperator, HfRunUvJobOperator
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import TaskInstance, context_for, run_task

SCRIPT = "# /// script\n# dependencies = ['rich']\n# ///\nprint('hello from uv')\n"


@pytest.mark.parametrize("deferrable", [False, True])
def test_inline_uv_script_runs_without_upload(hub_connection: FakeHub, deferrable: bool) -> None:
    hub_connection.add_job_scenario("uv", lines=["hello from uv"])
    operator = HfRunUvJobOperator(
        task_id="uv", script=SCRIPT, script_args=["--n", "2"], dependencies=["numpy"],
        labels={"fake-scenario": "uv"}, deferrable=deferrable, poll_interval=1,
    )  # fmt: skip
    assert run_task(operator)["stage"] == "COMPLETED"
    [job] = hub_connection.jobs()
    spec = job["spec"]
    assert spec["dockerImage"] == "ghcr.io/astral-sh/uv:python3.12-bookworm"
    assert spec["command"][-5:] == ["--with", "numpy", "/tmp/hfhub_inline_script.py", "--n", "2"]
    assert base64.b64decode(spec["environment"]["HFHUB_INLINE_SCRIPT_B64"]).decode() == SCRIPT
    assert not [r for r in hub_connection.requests() if "bucket" in r["path"] or "upload" in r["path"]]


def test_uv_script_url_runs_as_the_official_client_runs_it(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("uv-url", lines=["ok"])
    operator = HfRunUvJobOperator(
        task_id="uv", script="https://x.co/sft.py", script_args=["--epochs", "1"], python="3.11",
        labels={"fake-scenario": "uv-url"}, poll_interval=1,
    )  # fmt: skip
    run_task(operator)
    [job] = hub_connection.jobs()
    assert job["spec"]["command"] == ["uv", "run", "--python", "3.11", "https://x.co/sft.py", "--epochs", "1"]


def test_cancel_operator_cancels_a_running_job(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["x"], hold=True)
    from airflow_provider_hfhub.hub import HubClient, HubConfig

    with HubClient(HubConfig(endpoint=hub_connection.url, token=hub_connection.token)) as client:
        job = client.run_job(image="python:3.12", command=["x"], labels={"fake-scenario": "held"})
    ti = TaskInstance(task_id="cancel")
    result = run_task(HfCancelJobOperator(task_id="cancel", job_id=job.id), context_for(ti))
    assert result["id"] == job.id
    hub_connection.wait_for_job_stage(job.id, "CANCELED")
    assert ti.xcoms["job_url"] == job.url


def test_cancel_operator_rejects_an_empty_id(hub_connection: FakeHub) -> None:
    with pytest.raises(ValueError, match="job_id must be"):
        run_task(HfCancelJobOperator(task_id="cancel", job_id=""))
    assert hub_connection.requests() == []


def test_inline_uv_script_really_runs(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No scenario: the fake Hub runs the Job's command as a local process (bash, base64, uv)."""
    import os
    import sys
    from pathlib import Path

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    script = (
        "# /// script\n# dependencies = []\n# ///\nimport sys\nprint('uv says', *sys.argv[1:], flush=True)\n"
    )
    operator = HfRunUvJobOperator(task_id="uv", script=script, script_args=["hi", "there"], poll_interval=1)
    assert run_task(operator)["stage"] == "COMPLETED"
    assert "uv says hi there" in capsys.readouterr().out
