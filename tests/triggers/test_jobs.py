"""HfJobTrigger: serialisation, no secrets in its arguments, kill while deferred, restarts."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_hfhub.hub import JobStage
from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.jobs import HfJobTrigger
from tests.airflow_support import context_for, first_event, roundtrip


def _deferred_trigger(fake_hub: FakeHub, scenario: str, **kwargs: object) -> HfJobTrigger:
    operator = HfRunJobOperator(
        task_id="train", image="python:3.12", command=["python", "train.py"], deferrable=True, poll_interval=1,
        labels={"fake-scenario": scenario}, secrets={"WANDB_API_KEY": "wandb-secret-value"}, **kwargs,
    )  # fmt: skip
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context_for())
    return deferred.value.trigger  # type: ignore[return-value]


def test_trigger_round_trips_and_its_arguments_hold_no_token_or_secret(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["x"], hold=True)
    trigger = _deferred_trigger(hub_connection, "held")
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_hfhub.triggers.jobs.HfJobTrigger"
    assert roundtrip(trigger).serialize() == (classpath, kwargs)
    text = json.dumps(kwargs)  # JSON primitives only
    assert hub_connection.token not in text and "wandb-secret-value" not in text
    assert set(kwargs) == {
        "job_id", "namespace", "hfhub_conn_id", "poll_interval", "stream_logs", "scheduling_timeout",
        "execution_deadline", "target_stages", "deferred_at", "cancel_on_kill",
    }  # fmt: skip


async def test_user_kill_while_deferred_cancels_the_job(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["x"], hold=True)
    trigger = roundtrip(_deferred_trigger(hub_connection, "held"))
    running = asyncio.ensure_future(first_event(trigger))
    [job] = hub_connection.jobs()
    await asyncio.to_thread(hub_connection.wait_for_job_stage, job["id"], "RUNNING")
    # What the triggerer does on a user's "mark failed": cancel run(), then await on_kill().
    running.cancel()
    await trigger.on_kill()
    await asyncio.to_thread(hub_connection.wait_for_job_stage, job["id"], "CANCELED")


async def test_cleanup_never_cancels_the_job(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["x"], hold=True)
    trigger = roundtrip(_deferred_trigger(hub_connection, "held"))
    await trigger.cleanup()
    [job] = hub_connection.jobs()
    time.sleep(0.2)
    assert hub_connection.job(job["id"])["stage"] in {JobStage.RUNNING, JobStage.SCHEDULING}
    hub_connection.finish_job(job["id"])


class RecordingLog:
    """A logger that keeps what it is told (stdout capture of Airflow's logging varies by version)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: object) -> None:
        self.lines.append(message % args)

    warning = info


async def test_restarted_trigger_marks_replayed_lines(hub_connection: FakeHub) -> None:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook
    from airflow_provider_hfhub.triggers.job_watch import JobWatch, watch_job
    from airflow_provider_hfhub.triggers.log_stream import replay_before

    hub_connection.add_job_scenario("done", lines=["first", "second"])
    trigger = roundtrip(_deferred_trigger(hub_connection, "done"))
    log = RecordingLog()
    assert replay_before(log, True, time.time(), "Job x") is None  # a first run marks nothing
    # As if the triggerer died an hour after the deferral and this trigger runs again.
    since = replay_before(log, True, time.time() - 3600, f"Job {trigger.job_id}")
    assert since is not None and "its log is replayed from the start" in log.lines[0]
    watch = JobWatch(job_id=trigger.job_id, namespace=trigger.namespace, poll_interval=1, replay_before=since)
    event = await watch_job(HfHubHook(trigger.hfhub_conn_id), watch, log)
    assert event["status"] == "success"
    assert "[replayed] first" in log.lines and "[replayed] second" in log.lines


async def test_target_stage_ends_the_wait_early(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["x"], hold=True)
    trigger = roundtrip(_deferred_trigger(hub_connection, "held"))
    trigger.target_stages = ["RUNNING"]
    event = await first_event(trigger)
    assert (event["status"], event["job"]["stage"]) == ("success", "RUNNING")
    hub_connection.finish_job(event["job"]["id"])


async def test_very_long_lines_are_split_not_dropped(
    hub_connection: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_job_scenario("long", lines=["A" * 20_000])
    event = await first_event(roundtrip(_deferred_trigger(hub_connection, "long")))
    assert event["status"] == "success"
    out = capsys.readouterr().out
    assert out.count("A" * 8000) == 2 and "[continued] " + "A" * 4000 in out
