"""Tolerant reading: unknown stages, flavors and fields never raise."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airflow_provider_hfhub.hub import HubResponseError, JobInfo, JobStage, SpaceRuntime, SpaceStage
from airflow_provider_hfhub.hub.models import format_datetime, parse_datetime

JOB = {
    "id": "687fb701029421ae5549d998",
    "createdAt": "2025-07-22T16:06:25.079Z",
    "dockerImage": "python:3.12",
    "command": ["python"],
    "flavor": "quantum-xl",
    "status": {"stage": "HIBERNATING", "message": None, "newField": 1},
    "owner": {"id": "1", "name": "lhoestq", "type": "user"},
    "somethingNew": {"nested": True},
}


def test_unknown_job_stage_and_fields_pass_through() -> None:
    job = JobInfo.from_json(JOB, endpoint="https://huggingface.co")
    assert job.stage == "HIBERNATING"
    assert str(job.stage) == "HIBERNATING"
    assert not job.stage.is_terminal
    assert job.flavor == "quantum-xl"
    assert job.raw["somethingNew"] == {"nested": True}
    assert job.url == "https://huggingface.co/jobs/lhoestq/687fb701029421ae5549d998"
    assert job.created_at == datetime(2025, 7, 22, 16, 6, 25, 79000, tzinfo=timezone.utc)


def test_job_without_id_is_a_clear_response_error() -> None:
    with pytest.raises(HubResponseError, match="without 'id'"):
        JobInfo.from_json({"status": {"stage": "RUNNING"}}, endpoint="x")


@pytest.mark.parametrize("stage", ["COMPLETED", "CANCELED", "ERROR", "DELETED"])
def test_terminal_job_stages(stage: str) -> None:
    assert JobStage(stage).is_terminal


def test_sleeping_space_is_neither_running_nor_an_error() -> None:
    runtime = SpaceRuntime.from_json(
        {"stage": "SLEEPING", "hardware": {"current": None, "requested": "t4-small"}, "gcTimeout": 3600}
    )
    assert runtime.stage is SpaceStage.SLEEPING
    assert runtime.stage != SpaceStage.RUNNING
    assert not runtime.stage.is_error and not runtime.stage.is_transitional
    assert (runtime.hardware, runtime.requested_hardware, runtime.sleep_time) == (None, "t4-small", 3600)
    assert (
        SpaceRuntime.from_json({"stage": "RUNNING_CONTAINER_STARTING"}).stage == "RUNNING_CONTAINER_STARTING"
    )


@pytest.mark.parametrize(
    "text",
    [
        "2026-05-12T14:57:43Z",
        "2026-05-12T14:57:43.6Z",
        "2026-05-12T14:57:43.645123456Z",
        "2026-05-12T14:57:43+00:00",
    ],
)
def test_datetimes_in_every_form_the_hub_sends(text: str) -> None:
    parsed = parse_datetime(text)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed.replace(microsecond=0) == datetime(2026, 5, 12, 14, 57, 43, tzinfo=timezone.utc)


def test_bad_datetimes_give_none_and_format_ends_in_z() -> None:
    assert parse_datetime("yesterday") is None
    assert parse_datetime(None) is None
    assert (
        format_datetime(datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=timezone.utc))
        == "2026-01-02T03:04:05.006Z"
    )
