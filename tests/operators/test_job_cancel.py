"""No task ends with its Job still running: every way out without success cancels it."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator, JobError
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import TaskInstance, context_for, run_task

# GET of one Job (inspect), not the list, the hardware list or the cancel.
ONE_JOB = r"^/api/jobs/[^/]+/[0-9a-f]{24}$"


def held_job(fake_hub: FakeHub, path: str, **kwargs: Any) -> HfRunJobOperator:
    fake_hub.add_job_scenario("held", lines=["working"], hold=True)
    return HfRunJobOperator(
        task_id="train", image="python:3.12", command=["python", "train.py"], labels={"fake-scenario": "held"},
        deferrable=path == "deferrable", poll_interval=0.5, stream_logs=False, **kwargs,
    )  # fmt: skip


def cancels(fake_hub: FakeHub) -> list[dict[str, Any]]:
    return [r for r in fake_hub.requests() if r["method"] == "POST" and r["path"].endswith("/cancel")]


@pytest.mark.parametrize("path", ["sync", "deferrable"])
def test_a_hub_error_while_following_fails_the_task_and_cancels_the_job(
    hub_connection: FakeHub, path: str
) -> None:
    # A token revoked mid-way: every read of the Job answers 403 (not retried).
    hub_connection.inject_fault("status", path=ONE_JOB, method="GET", status=403, count=-1)
    with pytest.raises(JobError, match="Could not follow Job"):
        run_task(held_job(hub_connection, path))
    [job] = hub_connection.jobs()
    hub_connection.wait_for_job_stage(job["id"], "CANCELED")


class BrokenXComTaskInstance(TaskInstance):
    """An XCom backend that fails: the Job is created, then the task fails before following it."""

    def xcom_push(self, key: str, value: Any) -> None:
        raise RuntimeError("XCom backend unavailable")


@pytest.mark.parametrize("path", ["sync", "deferrable"])
def test_a_failure_after_the_job_started_cancels_it(hub_connection: FakeHub, path: str) -> None:
    with pytest.raises(RuntimeError, match="XCom backend unavailable"):
        held_job(hub_connection, path).execute(context_for(BrokenXComTaskInstance()))
    [job] = hub_connection.jobs()
    hub_connection.wait_for_job_stage(job["id"], "CANCELED")


@pytest.mark.parametrize("error", ["Trigger timeout", "Trigger failure"])
def test_airflow_ending_the_deferral_itself_cancels_the_job(hub_connection: FakeHub, error: str) -> None:
    # The framework's defer timeout and a failed trigger resume the task with __fail__:
    # execute_complete never runs, so the resume must cancel.
    operator = held_job(hub_connection, "deferrable")
    context = context_for()
    with pytest.raises(TaskDeferred):
        operator.execute(context)
    fresh = held_job(hub_connection, "deferrable")  # a resumed task is a new process
    with pytest.raises(Exception, match=error):
        fresh.resume_execution("__fail__", {"error": error}, context)
    [job] = hub_connection.jobs()
    hub_connection.wait_for_job_stage(job["id"], "CANCELED")


def test_a_cancel_that_fails_says_so_with_the_command_to_run(
    hub_connection: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.inject_fault("status", path=ONE_JOB, method="GET", status=403, count=-1)
    hub_connection.inject_fault("status", path=r"/cancel$", method="POST", status=403, count=-1)
    with pytest.raises(JobError, match="Could not follow Job"):
        run_task(held_job(hub_connection, "sync"))
    [job] = hub_connection.jobs()
    out = capsys.readouterr().out
    assert f"Could not cancel Hub Job {job['id']}" in out
    assert f"hf jobs cancel {hub_connection.user}/{job['id']}" in out
    assert len(cancels(hub_connection)) == 1  # one attempt: a 403 is not retried
    hub_connection.finish_job(job["id"])
