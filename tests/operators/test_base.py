"""The operator base: the defer backstop and the failure message, shared by Job and Space operators."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_hfhub.operators.base import DEFER_BACKSTOP_SECONDS, defer_timeout
from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.operators.spaces import HfRestartSpaceOperator
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.events import failure_text as failure_message
from tests.airflow_support import TaskInstance, context_for

SPACE = "fake-user/demo-app"


def test_defer_timeout_waits_past_the_deadline_by_the_backstop() -> None:
    assert defer_timeout(None, 10.0) is None
    deadline = time.time() + 100
    assert defer_timeout(deadline, 10.0).total_seconds() == pytest.approx(100 + DEFER_BACKSTOP_SECONDS, abs=1)
    # Slow polls: two intervals, so a stage check in flight lands before the framework gives up.
    assert defer_timeout(deadline, 120.0).total_seconds() == pytest.approx(100 + 240, abs=1)
    # A deadline already passed still leaves the trigger the backstop to report it.
    assert defer_timeout(time.time() - 50, 1.0).total_seconds() == pytest.approx(
        DEFER_BACKSTOP_SECONDS, abs=1
    )


def test_failure_message_carries_the_last_log_lines() -> None:
    event = {"status": "failed", "message": "Job j ended ERROR", "log_tail": ["a", "b"]}
    assert failure_message(event) == "Job j ended ERROR\nLast log lines:\n  a\n  b"
    assert failure_message({"status": "failed", "message": "m", "log_tail": []}) == "m"


def _deferred(operator: object, ti: TaskInstance) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as caught:
        operator.execute(context_for(ti))  # type: ignore[attr-defined]
    return caught.value


@pytest.mark.parametrize("poll_interval", [1.0, 45.0])
def test_a_deferred_job_gets_the_deadline_and_a_later_backstop(
    hub_connection: FakeHub, poll_interval: float
) -> None:
    hub_connection.add_job_scenario("held", lines=["a"], hold=True)
    started = datetime.now(timezone.utc) - timedelta(seconds=30)
    operator = HfRunJobOperator(
        task_id="train", image="python:3.12", command=["true"], labels={"fake-scenario": "held"},
        deferrable=True, poll_interval=poll_interval, execution_timeout=timedelta(seconds=600),
    )  # fmt: skip
    deferred = _deferred(operator, TaskInstance(start_date=started))
    deadline = started.timestamp() + 600
    assert deferred.trigger.watch.execution_deadline == pytest.approx(deadline)
    backstop = max(DEFER_BACKSTOP_SECONDS, 2 * poll_interval)
    assert deferred.timeout.total_seconds() == pytest.approx(deadline - time.time() + backstop, abs=2)
    hub_connection.finish_job(hub_connection.jobs()[0]["id"])


def test_a_deferred_space_wait_gets_the_same_backstop(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, build_seconds=30)
    operator = HfRestartSpaceOperator(
        task_id="restart", repo_id=SPACE, deferrable=True, execution_timeout=timedelta(seconds=300)
    )
    started = datetime.now(timezone.utc)
    deferred = _deferred(operator, TaskInstance(task_id="restart", start_date=started))
    deadline = started.timestamp() + 300
    assert deferred.trigger.watch.execution_deadline == pytest.approx(deadline)
    assert deferred.timeout.total_seconds() == pytest.approx(
        deadline - time.time() + DEFER_BACKSTOP_SECONDS, abs=2
    )


def test_without_an_execution_timeout_the_framework_sets_none(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, build_seconds=30)
    deferred = _deferred(
        HfRestartSpaceOperator(task_id="restart", repo_id=SPACE, deferrable=True), TaskInstance()
    )
    assert deferred.timeout is None and deferred.trigger.watch.execution_deadline is None
