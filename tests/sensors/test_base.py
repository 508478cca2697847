"""The shared sensor path: a timeout is AirflowSensorTimeout on both paths, so soft_fail skips."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException, TaskDeferred

from airflow_provider_hfhub.hub import HubClient, HubConfig
from airflow_provider_hfhub.operators.base import DEFER_BACKSTOP_SECONDS
from airflow_provider_hfhub.sensors.base import HfStageSensor
from airflow_provider_hfhub.sensors.jobs import HfJobSensor
from airflow_provider_hfhub.sensors.spaces import HfSpaceStageSensor
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import context_for, run_task

SPACE = "fake-user/demo-app"
MODES = [False, True]


@pytest.fixture
def held_job(hub_connection: FakeHub) -> Iterator[str]:
    """A Job that runs until the test ends: a COMPLETED target is never reached."""
    hub_connection.add_job_scenario("held", lines=["a"], hold=True)
    with HubClient(HubConfig(endpoint=hub_connection.url, token=hub_connection.token)) as client:
        job_id = client.run_job(image="python:3.12", command=["x"], labels={"fake-scenario": "held"}).id
    yield job_id
    hub_connection.finish_job(job_id)


def job_sensor(hub: FakeHub, job_id: str) -> Callable[..., HfStageSensor]:
    return lambda **kwargs: HfJobSensor(task_id="wait", job_id=job_id, **kwargs)


def space_sensor(hub: FakeHub) -> Callable[..., HfStageSensor]:
    hub.add_space(SPACE, stage="SLEEPING")  # SLEEPING is not RUNNING: the sensor waits on
    return lambda **kwargs: HfSpaceStageSensor(task_id="wait", repo_id=SPACE, **kwargs)


@pytest.fixture(params=["job", "space"])
def make_sensor(request: pytest.FixtureRequest, hub_connection: FakeHub) -> Callable[..., HfStageSensor]:
    if request.param == "job":
        return job_sensor(hub_connection, request.getfixturevalue("held_job"))
    return space_sensor(hub_connection)


@pytest.mark.parametrize("deferrable", MODES)
def test_a_timed_out_sensor_fails_with_airflow_sensor_timeout(
    make_sensor: Callable[..., HfStageSensor], deferrable: bool
) -> None:
    sensor = make_sensor(poke_interval=0.2, timeout=1.0, deferrable=deferrable)
    started = time.monotonic()
    # AirflowSensorTimeout, not any AirflowException: the task runner fails it without retries.
    with pytest.raises(AirflowSensorTimeout, match="imed out"):
        run_task(sensor)
    # Not early (the deadline is epoch time, measured here on the monotonic clock: allow their skew).
    assert time.monotonic() - started >= 0.9


@pytest.mark.parametrize("deferrable", MODES)
def test_soft_fail_skips_a_timed_out_sensor(
    make_sensor: Callable[..., HfStageSensor], deferrable: bool
) -> None:
    sensor = make_sensor(poke_interval=0.2, timeout=1.0, deferrable=deferrable, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        run_task(sensor)


def test_a_deferred_sensor_gives_the_framework_a_later_backstop(
    make_sensor: Callable[..., HfStageSensor],
) -> None:
    sensor = make_sensor(poke_interval=0.2, timeout=100.0, deferrable=True)
    started = time.time()
    with pytest.raises(TaskDeferred) as caught:
        sensor.execute(context_for())
    deadline = caught.value.trigger.watch.execution_deadline
    assert started <= deadline - 100.0 <= time.time()
    assert caught.value.timeout.total_seconds() == pytest.approx(100.0 + DEFER_BACKSTOP_SECONDS, abs=2)
