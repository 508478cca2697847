"""HfJobTrigger: serialisation, no secrets in its arguments, kill while deferred, restarts."""

from __future__ import annotations

import asyncio
import time

import pytest
from structlog.testing import capture_logs

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.jobs import HfJobTrigger
from tests.airflow_support import assert_serializes_safely, deferred_trigger, first_event, roundtrip


def _deferred_trigger(fake_hub: FakeHub, scenario: str, **kwargs: object) -> HfJobTrigger:
    operator = HfRunJobOperator(
        task_id="train", image="python:3.12", command=["python", "train.py"], deferrable=True, poll_interval=1,
        labels={"fake-scenario": scenario}, secrets={"WANDB_API_KEY": "wandb-secret-value"}, **kwargs,
    )  # fmt: skip
    return deferred_trigger(operator)


def test_trigger_round_trips_and_its_arguments_hold_no_token_or_secret(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["x"], hold=True)
    trigger = _deferred_trigger(hub_connection, "held")
    fields = {
        "job_id", "namespace", "hfhub_conn_id", "poll_interval", "stream_logs", "scheduling_timeout",
        "execution_deadline", "target_stages", "deferred_at", "cancel_on_kill", "sealed_secrets",
    }  # fmt: skip
    secrets = [hub_connection.token, "wandb-secret-value"]
    assert_serializes_safely(trigger, "airflow_provider_hfhub.triggers.jobs.HfJobTrigger", fields, secrets)


async def test_user_kill_while_deferred_cancels_the_job(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["x"], hold=True)
    trigger = roundtrip(_deferred_trigger(hub_connection, "held"))
    running = asyncio.ensure_future(first_event(trigger))
    [job] = hub_connection.jobs()
    await asyncio.to_thread(hub_connection.wait_for_job_stage, job["id"], "RUNNING")
    # What the triggerer does on a user's "mark failed": cancel run(), then await on_kill().
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 10)
    await trigger.on_kill()
    await asyncio.to_thread(hub_connection.wait_for_job_stage, job["id"], "CANCELED")


def _rebuilt(trigger: HfJobTrigger, **changes: object) -> HfJobTrigger:
    """The trigger as the triggerer rebuilds it, with some arguments changed."""
    _, kwargs = trigger.serialize()
    return roundtrip(HfJobTrigger(**{**kwargs, **changes}))


async def _logged_lines(trigger: HfJobTrigger) -> tuple[dict, list[str]]:
    """Run the trigger to its event; what it wrote to the task log."""
    with capture_logs() as logged:
        event = await first_event(trigger)
    return event, [entry["event"] for entry in logged]


async def test_restarted_trigger_marks_replayed_lines(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("done", lines=["first", "second"])
    deferred = _deferred_trigger(hub_connection, "done")
    # As if the triggerer died after the deferral and this trigger runs again: the Hub replays
    # the whole log, so what it printed since the deferral may be in the task log already.
    hub_connection.wait_for_job_stage(deferred.watch.job_id, "COMPLETED")
    event, lines = await _logged_lines(_rebuilt(deferred, deferred_at=time.time() - 3600))
    assert event["status"] == "success"
    assert "[replayed] first" in lines and "[replayed] second" in lines


async def test_a_first_run_marks_nothing(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("done", lines=["first", "second"])
    deferred = _deferred_trigger(hub_connection, "done")
    hub_connection.wait_for_job_stage(deferred.watch.job_id, "COMPLETED")
    event, lines = await _logged_lines(roundtrip(deferred))
    assert event["status"] == "success"
    assert "first" in lines and "second" in lines
    assert not any(line.startswith("[replayed]") for line in lines)


async def test_target_stage_ends_the_wait_early(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["x"], hold=True)
    trigger = _rebuilt(_deferred_trigger(hub_connection, "held"), target_stages=["RUNNING"])
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


async def test_a_restart_soon_after_the_deferral_is_told_by_the_marker_the_first_run_left(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first run of a deferral leaves an XCom; a run that finds it is a restart, however soon.
    from types import SimpleNamespace

    from airflow.sdk.execution_time import task_runner

    stored: dict[str, object] = {}

    class Supervisor:
        async def asend(self, message: object) -> object:
            kind = type(message).__name__
            if kind == "SetXCom":
                stored[message.key] = message.value  # type: ignore[attr-defined]
            return SimpleNamespace(value=stored.get(message.key))  # type: ignore[attr-defined]

    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", Supervisor(), raising=False)
    hub_connection.add_job_scenario("done", lines=["first", "second"])
    deferred = _deferred_trigger(hub_connection, "done")
    hub_connection.wait_for_job_stage(deferred.watch.job_id, "COMPLETED")
    runs = []
    for _ in range(2):  # both within seconds of the deferral
        trigger = _rebuilt(deferred)
        trigger.task_instance = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1)  # type: ignore[attr-defined]
        runs.append((await _logged_lines(trigger))[1])
    assert "first" in runs[0] and not any(line.startswith("[replayed]") for line in runs[0])
    assert "[replayed] first" in runs[1] and "[replayed] second" in runs[1]


async def test_a_silent_channel_to_airflow_marks_the_replayed_lines(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A triggerer busy starting answered nothing in time (seen on a loaded machine): whether an
    # earlier run showed lines is unknown, so they are marked rather than risk showing them twice.
    from types import SimpleNamespace

    from airflow.sdk.execution_time import task_runner

    asked: list[str] = []

    class Silent:
        async def asend(self, message: object) -> object:
            asked.append(type(message).__name__)
            raise TimeoutError

    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", Silent(), raising=False)
    hub_connection.add_job_scenario("done", lines=["first", "second"])
    deferred = _deferred_trigger(hub_connection, "done")
    hub_connection.wait_for_job_stage(deferred.watch.job_id, "COMPLETED")
    trigger = _rebuilt(deferred)
    trigger.task_instance = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1)  # type: ignore[attr-defined]
    event, lines = await _logged_lines(trigger)
    assert event["status"] == "success"
    assert "[replayed] first" in lines and "[replayed] second" in lines
    assert [kind for kind in asked if "XCom" in kind] == ["GetXCom", "GetXCom"]  # asked twice


async def test_a_success_event_carries_no_log_tail(hub_connection: FakeHub) -> None:
    # Airflow logs every event it fires: a success would repeat the Job's last lines there.
    hub_connection.add_job_scenario("done", lines=["first", "second"])
    event, _ = await _logged_lines(roundtrip(_deferred_trigger(hub_connection, "done")))
    assert event["status"] == "success" and "log_tail" not in event
