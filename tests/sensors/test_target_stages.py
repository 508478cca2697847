"""A sensor's target must be a stage the Hub can report; a typo used to wait out the sensor's timeout."""

from __future__ import annotations

import pytest

from airflow_provider_hfhub.sensors.jobs import HfJobSensor
from airflow_provider_hfhub.sensors.spaces import HfSpaceStageSensor
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import context_for, run_task

SPACE = "fake-user/demo-app"


@pytest.mark.parametrize(
    ("sensor", "targets", "message"),
    [
        (
            HfJobSensor,
            ["COMPLETD"],
            r"\['COMPLETD'\]: not Job stages; valid stages: SCHEDULING, RUNNING, COMPLETED",
        ),
        (HfJobSensor, ["completed", "SUCCESS"], r"\['SUCCESS'\]: not Job stages"),
        (HfJobSensor, [], "non-empty list"),
        (HfJobSensor, "COMPLETED", "non-empty list"),
        (HfJobSensor, [None], r"\[None\]: not Job stages"),
        (HfSpaceStageSensor, ["RUNING"], r"\['RUNING'\]: not Space stages; valid stages: .*SLEEPING"),
        (HfSpaceStageSensor, ["COMPLETED"], "not Space stages"),
    ],
)
def test_unknown_target_stages_are_refused_before_any_hub_call(
    hub_connection: FakeHub, sensor: type, targets: object, message: str
) -> None:
    target = {"job_id": "0" * 24} if sensor is HfJobSensor else {"repo_id": SPACE}
    with pytest.raises(ValueError, match=message):
        sensor(task_id="wait", target_stages=targets, **target)
    assert hub_connection.requests() == []


def test_known_targets_in_any_case_are_accepted_upper_cased() -> None:
    assert HfJobSensor(task_id="w", job_id="x", target_stages=["running"]).target_stages == ["RUNNING"]
    space = HfSpaceStageSensor(task_id="w", repo_id=SPACE, target_stages=("Sleeping", "RUNNING"))
    assert space.target_stages == ["SLEEPING", "RUNNING"]


def test_a_job_sensor_namespace_with_a_slash_is_refused(hub_connection: FakeHub) -> None:
    with pytest.raises(ValueError, match="one user or org name"):
        HfJobSensor(task_id="w", job_id="x", namespace="org/jobs")
    assert hub_connection.requests() == []


def test_an_unknown_stage_read_from_the_hub_is_tolerated(hub_connection: FakeHub) -> None:
    """The Hub may report stages no client lists: the sensor keeps its target and lands there."""
    hub_connection.add_space(SPACE, stage="RUNNING")
    hub_connection.set_space_stage(SPACE, "WARMING_UP")  # not a SpaceStage member
    sensor = HfSpaceStageSensor(task_id="wait", repo_id=SPACE, target_stages=["RUNNING"])
    assert sensor.poke(context_for()) is False
    hub_connection.set_space_stage(SPACE, "RUNNING")
    run_task(sensor)
