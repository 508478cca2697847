"""HfSpaceStageSensor, poking and deferred: targets, SLEEPING, failure stages."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_hfhub.sensors.spaces import HfSpaceStageSensor
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import TaskInstance, context_for, run_task
from tests.testing.fake_hub_helpers import wait_until

SPACE = "fake-user/demo-app"
MODES = [False, True]


def _runtime_reads(fake_hub: FakeHub) -> list[dict[str, object]]:
    return [r for r in fake_hub.requests() if r["path"].endswith("/runtime")]


def sensor(deferrable: bool, **kwargs: object) -> HfSpaceStageSensor:
    settings: dict[str, object] = {"task_id": "wait", "repo_id": SPACE, "poke_interval": 0.2, "timeout": 10}
    return HfSpaceStageSensor(**{**settings, "deferrable": deferrable, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize("deferrable", MODES)
def test_sensor_waits_for_running(hub_connection: FakeHub, deferrable: bool) -> None:
    hub_connection.add_space(SPACE, stage="BUILDING", build_seconds=0.8)
    ti = TaskInstance(task_id="wait")
    run_task(sensor(deferrable), context_for(ti))
    assert hub_connection.space_state(SPACE)["stage"] == "RUNNING"
    assert ti.xcoms == {"space_url": f"{hub_connection.url}/spaces/{SPACE}"}


@pytest.mark.parametrize("deferrable", MODES)
def test_sleeping_is_not_running(hub_connection: FakeHub, deferrable: bool) -> None:
    hub_connection.add_space(SPACE, stage="SLEEPING")
    started = time.monotonic()
    with pytest.raises(AirflowException, match="imed out"):
        run_task(sensor(deferrable, timeout=1.0))
    assert time.monotonic() - started >= 1.0
    assert hub_connection.space_state(SPACE)["stage"] == "SLEEPING"


@pytest.mark.parametrize("deferrable", MODES)
def test_sleeping_space_satisfies_the_sensor_once_woken(hub_connection: FakeHub, deferrable: bool) -> None:
    hub_connection.add_space(SPACE, stage="SLEEPING")

    def wake_after_three_looks() -> None:
        wait_until(lambda: len(_runtime_reads(hub_connection)) >= 3, what="the sensor to look 3 times")
        hub_connection.set_space_stage(SPACE, "BUILDING")

    with ThreadPoolExecutor(max_workers=1) as pool:
        waking = pool.submit(wake_after_three_looks)
        run_task(sensor(deferrable))
        state = hub_connection.space_state(SPACE)
        assert state["restarts"] and state["stage"] == "RUNNING", "the sensor succeeded before the Space woke"
        waking.result(timeout=10)  # the waker's own failure, if any, raised here on the test's thread


@pytest.mark.parametrize("deferrable", MODES)
def test_sensor_fails_on_a_failure_stage_with_the_hub_message(
    hub_connection: FakeHub, deferrable: bool
) -> None:
    hub_connection.add_space(
        SPACE, stage="BUILDING", outcome="BUILD_ERROR", error_message="no app.py", build_seconds=0.5
    )
    with pytest.raises(AirflowException, match=r"ended BUILD_ERROR: no app\.py"):
        run_task(sensor(deferrable))


@pytest.mark.parametrize("deferrable", MODES)
def test_sensor_accepts_other_targets(hub_connection: FakeHub, deferrable: bool) -> None:
    hub_connection.add_space(SPACE, stage="PAUSED")
    targets = ["paused", "SLEEPING"]
    ti = TaskInstance(task_id="wait")
    run_task(sensor(deferrable, target_stages=targets), context_for(ti))
    assert ti.xcoms == {"space_url": f"{hub_connection.url}/spaces/{SPACE}"}
    # Satisfied at the first look, and the Space left as it was.
    assert [(r["method"], r["path"]) for r in hub_connection.requests()] == [
        ("GET", f"/api/spaces/{SPACE}/runtime")
    ]
    assert hub_connection.space_state(SPACE)["stage"] == "PAUSED"
    hub_connection.set_space_stage(SPACE, "RUNNING")  # not among these targets: no longer enough
    with pytest.raises(AirflowException, match="imed out"):
        run_task(sensor(deferrable, target_stages=targets, timeout=1.0))


def test_sensor_rejects_bad_arguments(hub_connection: FakeHub) -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        HfSpaceStageSensor(task_id="wait", repo_id=SPACE, target_stages="RUNNING")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="namespace/space-name"):
        HfSpaceStageSensor(task_id="wait", repo_id="no-namespace")
    assert hub_connection.requests() == []
