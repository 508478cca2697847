"""The trigger's ways out: cancel once the task left DEFERRED, never on a restart; no crash; no race."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.jobs import HfJobTrigger
from tests.airflow_support import context_for, first_event, roundtrip
from tests.triggers.triggerer import on_triggerer


def deferred(fake_hub: FakeHub, **kwargs: Any) -> HfJobTrigger:
    fake_hub.add_job_scenario("held", lines=["working"], hold=True)
    operator = HfRunJobOperator(
        task_id="train", image="python:3.12", command=["python", "train.py"], deferrable=True,
        labels={"fake-scenario": "held"}, poll_interval=0.5, **kwargs,
    )  # fmt: skip
    with pytest.raises(TaskDeferred) as caught:
        operator.execute(context_for())
    return roundtrip(caught.value.trigger)  # type: ignore[no-any-return]


def cancels(fake_hub: FakeHub) -> int:
    return sum(r["method"] == "POST" and r["path"].endswith("/cancel") for r in fake_hub.requests())


@pytest.mark.parametrize("state", ["failed", "success", "scheduled", None])
async def test_cleanup_cancels_the_job_once_the_task_left_deferred(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch, state: str | None
) -> None:
    # Airflow 3.1/3.2 (no trigger on_kill): killed, marked, timed out (scheduled) or cleared (None).
    trigger = deferred(hub_connection)
    on_triggerer(trigger, monkeypatch, state)
    await trigger.cleanup()
    hub_connection.wait_for_job_stage(trigger.watch.job_id, "CANCELED")


async def test_cleanup_on_a_triggerer_restart_leaves_the_job_running(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = deferred(hub_connection)
    supervisor = on_triggerer(trigger, monkeypatch, "deferred")
    await trigger.cleanup()
    assert supervisor.asked == ["GetTaskStates"] and cancels(hub_connection) == 0
    hub_connection.finish_job(trigger.watch.job_id)


async def test_cleanup_without_a_triggerer_never_cancels(hub_connection: FakeHub) -> None:
    trigger = deferred(hub_connection)  # dag.test(), unit tests: the task's state cannot be known
    await trigger.cleanup()
    assert cancels(hub_connection) == 0
    hub_connection.finish_job(trigger.watch.job_id)


async def test_cleanup_after_the_trigger_fired_does_nothing(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = deferred(hub_connection)
    supervisor = on_triggerer(trigger, monkeypatch, "scheduled")
    hub_connection.finish_job(trigger.watch.job_id)
    assert (await first_event(trigger))["status"] == "success"
    await trigger.cleanup()
    assert "GetTaskStates" not in supervisor.asked and cancels(hub_connection) == 0


@pytest.mark.parametrize(("state", "cancelled"), [("failed", True), ("deferred", False)])
async def test_on_kill_cancels_unless_the_trigger_only_moved(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch, state: str, cancelled: bool
) -> None:
    # Airflow 3.3 calls on_kill for a user's kill, and (apache/airflow#73454) for a moved trigger too.
    trigger = deferred(hub_connection)
    on_triggerer(trigger, monkeypatch, state)
    await trigger.on_kill()
    assert cancels(hub_connection) == int(cancelled)
    if cancelled:
        hub_connection.wait_for_job_stage(trigger.watch.job_id, "CANCELED")
    else:
        hub_connection.finish_job(trigger.watch.job_id)


async def test_cancel_on_kill_false_keeps_the_job(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = deferred(hub_connection, cancel_on_kill=False)
    on_triggerer(trigger, monkeypatch, "failed")
    await trigger.cleanup()
    assert cancels(hub_connection) == 0
    hub_connection.finish_job(trigger.watch.job_id)


async def test_a_crashing_trigger_sends_an_error_event_naming_the_job(hub_connection: FakeHub) -> None:
    trigger = deferred(hub_connection)
    _, kwargs = trigger.serialize()
    broken = roundtrip(HfJobTrigger(**{**kwargs, "hfhub_conn_id": "no_such_connection"}))
    event = await first_event(broken)
    assert event["status"] == "error" and event["job_id"] == trigger.watch.job_id
    assert "Following Job" in event["message"]
    hub_connection.finish_job(trigger.watch.job_id)


@pytest.mark.parametrize(("deferred_ago", "held"), [(0.0, True), (30.0, False)])
async def test_an_event_soon_after_the_deferral_is_held(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch, deferred_ago: float, held: bool
) -> None:
    # Airflow 3.1-3.3.2 may fail a task resumed within seconds of deferring (apache/airflow#72716).
    monkeypatch.setenv("AIRFLOW__HFHUB__EARLY_EVENT_HOLD_SECONDS", "2")
    trigger = deferred(hub_connection)
    _, kwargs = trigger.serialize()
    hub_connection.finish_job(trigger.watch.job_id)
    deferred_at = time.time() - deferred_ago
    again = roundtrip(HfJobTrigger(**{**kwargs, "deferred_at": deferred_at}))
    started = time.monotonic()
    event = await asyncio.wait_for(first_event(again), 30)
    assert event["status"] == "success"
    if held:
        assert time.time() >= deferred_at + 2
    else:
        assert time.monotonic() - started < 1.5
