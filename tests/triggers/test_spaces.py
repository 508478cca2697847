"""HfSpaceTrigger: serialisation, no secrets in its arguments, SLEEPING, stops, restarts, cleanup."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from airflow_provider_hfhub.operators.spaces import HfDuplicateSpaceOperator, HfRestartSpaceOperator
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.spaces import HfSpaceTrigger
from tests.airflow_support import (
    assert_serializes_safely,
    deferred_trigger,
    first_event,
    roundtrip,
)
from tests.triggers.triggerer import on_triggerer

SPACE = "fake-user/demo-app"


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _runtime_reads(fake_hub: FakeHub) -> list[dict]:
    return [r for r in fake_hub.requests() if r["path"].endswith("/runtime")]


def test_trigger_round_trips_and_its_arguments_hold_no_token_or_secret(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE)
    operator = HfDuplicateSpaceOperator(
        task_id="copy", repo_id=SPACE, to_id="fake-user/copy", secrets={"API_KEY": "space-secret-value"},
        deferrable=True, startup_timeout=600,
    )  # fmt: skip
    trigger = deferred_trigger(operator)
    fields = {
        "repo_id", "hfhub_conn_id", "target_stages", "hardware", "after_restart", "commit", "stream_logs",
        "poll_interval", "startup_timeout", "started_at", "execution_deadline", "deferred_at", "sealed_secrets",
    }  # fmt: skip
    secrets = [hub_connection.token, "space-secret-value"]
    kwargs = assert_serializes_safely(
        trigger, "airflow_provider_hfhub.triggers.spaces.HfSpaceTrigger", fields, secrets
    )
    assert (kwargs["repo_id"], kwargs["target_stages"], kwargs["startup_timeout"]) == (
        "fake-user/copy", ["RUNNING"], 600
    )  # fmt: skip


def test_restart_answered_with_a_stale_running_asks_to_see_it_leave_running(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, stale_running_seconds=5, build_seconds=5)
    trigger = deferred_trigger(HfRestartSpaceOperator(task_id="restart", repo_id=SPACE, deferrable=True))
    kwargs = trigger.serialize()[1]
    assert kwargs["after_restart"] is True and "restart_sha" not in kwargs
    assert [r for r in hub_connection.requests() if r["path"].endswith("/restart")]


def test_restart_answered_with_a_build_stage_needs_no_departure(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, build_seconds=5)
    trigger = deferred_trigger(HfRestartSpaceOperator(task_id="restart", repo_id=SPACE, deferrable=True))
    assert trigger.serialize()[1]["after_restart"] is False


async def test_sleeping_is_not_running(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, stage="SLEEPING")
    trigger = HfSpaceTrigger(repo_id=SPACE, poll_interval=0.2, startup_timeout=1.0, started_at=time.time())
    event = await first_event(roundtrip(trigger))
    assert event["status"] == "startup_timeout" and event["space"]["stage"] == "SLEEPING"
    assert (
        "was not RUNNING 1 s after the request (startup_timeout); it is SLEEPING (asleep" in event["message"]
    )


async def test_a_sleeping_space_that_wakes_and_runs_ends_the_wait(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, stage="SLEEPING", run_lines=["woke up"])
    running = asyncio.ensure_future(first_event(roundtrip(HfSpaceTrigger(repo_id=SPACE, poll_interval=0.2))))
    await asyncio.to_thread(_wait_until, lambda: len(_runtime_reads(hub_connection)) >= 3)
    assert not running.done(), "a SLEEPING Space was taken for a running one"
    await asyncio.to_thread(hub_connection.set_space_stage, SPACE, "BUILDING")  # a visit wakes it
    event = await asyncio.wait_for(running, 10)
    assert (event["status"], event["space"]["stage"]) == ("success", "RUNNING")


@pytest.mark.parametrize("stage", ["PAUSED", "STOPPED"])
async def test_paused_or_stopped_while_waiting_to_run_fails(hub_connection: FakeHub, stage: str) -> None:
    hub_connection.add_space(SPACE, build_seconds=30)
    await asyncio.to_thread(hub_connection.set_space_stage, SPACE, "BUILDING")
    running = asyncio.ensure_future(first_event(HfSpaceTrigger(repo_id=SPACE, poll_interval=0.2)))
    await asyncio.to_thread(hub_connection.set_space_stage, SPACE, stage)
    event = await asyncio.wait_for(running, 10)
    assert event["status"] == "failed" and f"is {stage} while waiting for it to run" in event["message"]


async def test_a_target_stage_other_than_running(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, stage="SLEEPING")
    event = await first_event(HfSpaceTrigger(repo_id=SPACE, target_stages=["SLEEPING", "PAUSED"]))
    assert (event["status"], event["message"]) == ("success", f"Space {SPACE} is SLEEPING")


async def test_missing_space_is_an_error_event(hub_connection: FakeHub) -> None:
    event = await first_event(HfSpaceTrigger(repo_id="fake-user/nope", stream_logs=False))
    assert event["status"] == "error" and "404" in event["message"]


async def test_restarted_trigger_marks_replayed_lines(
    hub_connection: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_space(SPACE, stage="BUILDING", build_lines=["first", "second"], build_seconds=1.0)
    await asyncio.to_thread(_wait_until, lambda: len(hub_connection.space_state(SPACE)["build_log"]) == 2)
    trigger = HfSpaceTrigger(repo_id=SPACE, deferred_at=time.time() - 3600)  # back after an hour
    assert (await first_event(roundtrip(trigger)))["status"] == "success"
    out = capsys.readouterr().out
    assert "its log is replayed from the start" in out and "[replayed] first" in out


@pytest.mark.parametrize("way_out", ["cleanup", "on_kill"])
async def test_a_task_that_left_deferred_leaves_its_space_alone(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch, way_out: str
) -> None:
    # Where a Job trigger cancels its Job (the task was killed or marked failed while deferred),
    # a Space keeps running: nothing is asked of the Hub that would change it.
    hub_connection.add_space(SPACE)
    trigger = roundtrip(HfSpaceTrigger(repo_id=SPACE))
    supervisor = on_triggerer(trigger, monkeypatch, "failed")
    await getattr(trigger, way_out)()
    assert supervisor.asked == ["GetTaskStates"] and trigger.cancelled  # it took the way out
    assert [r for r in hub_connection.requests() if r["method"] != "GET"] == []
    state = hub_connection.space_state(SPACE)
    assert state["stage"] == "RUNNING" and state["restarts"] == []


async def test_a_rerun_trigger_that_only_sees_running_fails_instead_of_succeeding(
    hub_connection: FakeHub,
) -> None:
    # A trigger re-run (triggerer restart) forgot that it saw the Space rebuild; RUNNING alone is no
    # evidence of the new run, so past the bound it is a startup_timeout, never a success.
    hub_connection.add_space(SPACE)
    trigger = HfSpaceTrigger(
        repo_id=SPACE, after_restart=True, started_at=time.time() - 3600, startup_timeout=7200
    )
    event = await first_event(roundtrip(trigger))
    assert (event["status"], event["space"]["stage"]) == ("startup_timeout", "RUNNING")
    assert "never seen leaving RUNNING" in event["message"]


async def test_a_running_space_right_after_the_restart_is_not_yet_the_new_run(
    hub_connection: FakeHub,
) -> None:
    hub_connection.add_space(SPACE)
    trigger = HfSpaceTrigger(repo_id=SPACE, after_restart=True, started_at=time.time(), startup_timeout=1.0)
    event = await first_event(roundtrip(trigger))
    assert event["status"] == "startup_timeout"
    assert "never seen leaving RUNNING since the restart" in event["message"]
    # While unconfirmed the runtime is read every CONFIRM_POLL_SECONDS, not every poll_interval (10 s).
    assert len(_runtime_reads(hub_connection)) >= 1


async def test_a_stale_running_then_a_build_is_followed_to_the_new_run(hub_connection: FakeHub) -> None:
    # The fake Hub restarts as the real Hub shows it: the old RUNNING for a moment, then a build.
    # No log stream and a 10 s poll interval: only the quick reads while unconfirmed see the build.
    hub_connection.add_space(SPACE, stale_running_seconds=0.5, build_seconds=2.5)
    started = time.time()
    answer = await asyncio.to_thread(
        httpx.post,
        f"{hub_connection.url}/api/spaces/{SPACE}/restart",
        headers={"authorization": f"Bearer {hub_connection.token}"},
    )
    assert answer.json()["stage"] == "RUNNING"  # stale: the restart's own answer proves nothing
    trigger = HfSpaceTrigger(
        repo_id=SPACE, after_restart=True, started_at=started, startup_timeout=5.0, stream_logs=False,
        poll_interval=10.0,
    )  # fmt: skip
    event = await first_event(roundtrip(trigger))
    assert (event["status"], event["space"]["stage"]) == ("success", "RUNNING"), event["message"]
    state = hub_connection.space_state(SPACE)
    assert state["build_id"] == 2 and state["stage"] == "RUNNING"


async def test_a_build_error_event_carries_the_hubs_message_logged_at_error(
    hub_connection: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "ERROR: No matching distribution found for torch==9.9"
    hub_connection.add_space(SPACE, stage="BUILDING", build_lines=["compiling"], build_seconds=30)
    await asyncio.to_thread(hub_connection.set_space_stage, SPACE, "BUILD_ERROR", message)
    event = await first_event(roundtrip(HfSpaceTrigger(repo_id=SPACE, poll_interval=0.2)))
    assert event["status"] == "failed" and event["message"] == f"Space {SPACE} ended BUILD_ERROR: {message}"
    # Airflow's structlog writes the task log to stdout, with the level in brackets.
    errors = [line for line in capsys.readouterr().out.splitlines() if "[error" in line]
    assert any(message in line for line in errors), "the triggerer did not log the Hub's error at ERROR"
