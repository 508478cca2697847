"""HfJobSensor, poking and deferred."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_hfhub.hub import HubClient, HubConfig
from airflow_provider_hfhub.sensors.jobs import HfJobSensor
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task


def _job(fake_hub: FakeHub, scenario: str, **options: object) -> str:
    fake_hub.add_job_scenario(scenario, **options)  # type: ignore[arg-type]
    with HubClient(HubConfig(endpoint=fake_hub.url, token=fake_hub.token)) as client:
        return client.run_job(image="python:3.12", command=["x"], labels={"fake-scenario": scenario}).id


@pytest.mark.parametrize("deferrable", [False, True])
def test_sensor_waits_for_completion(hub_connection: FakeHub, deferrable: bool) -> None:
    job_id = _job(hub_connection, "ok", lines=["a"], line_interval=0.3)
    sensor = HfJobSensor(task_id="wait", job_id=job_id, poke_interval=0.2, deferrable=deferrable)
    run_task(sensor)
    assert hub_connection.job(job_id)["stage"] == "COMPLETED"


@pytest.mark.parametrize("deferrable", [False, True])
def test_sensor_fails_when_the_job_ends_elsewhere(hub_connection: FakeHub, deferrable: bool) -> None:
    job_id = _job(hub_connection, "bad", lines=["a"], final_stage="ERROR")
    sensor = HfJobSensor(task_id="wait", job_id=job_id, poke_interval=0.2, deferrable=deferrable)
    with pytest.raises(AirflowException, match="ERROR"):
        run_task(sensor)


def test_sensor_can_wait_for_the_job_to_start(hub_connection: FakeHub) -> None:
    job_id = _job(hub_connection, "held", lines=["a"], hold=True, scheduling_seconds=0.5)
    run_task(
        HfJobSensor(
            task_id="wait", job_id=job_id, target_stages=["RUNNING"], poke_interval=0.2, deferrable=True
        )
    )
    assert hub_connection.job(job_id)["stage"] == "RUNNING"
    hub_connection.finish_job(job_id)


def test_sensor_rejects_a_string_of_stages() -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        HfJobSensor(task_id="wait", job_id="x", target_stages="COMPLETED")  # type: ignore[arg-type]
