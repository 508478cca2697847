"""A secret the Job prints never reaches the task log, the event or the trigger's arguments."""

from __future__ import annotations

import json

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from structlog.testing import capture_logs

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.sealed import Redactor
from tests.airflow_support import context_for, first_event, roundtrip

SECRET = "wandb-secret-value-42"


def test_redactor_replaces_every_secret_longest_first_and_leaves_short_values() -> None:
    redact = Redactor(["abc", "token-1234", "token-1234-extra"])
    assert redact("a token-1234-extra and token-1234, abc") == "a *** and ***, abc"


async def test_a_printed_secret_is_masked_in_the_forwarded_lines_and_the_event(
    hub_connection: FakeHub,
) -> None:
    hub_connection.add_job_scenario(
        "echo", lines=["start", f"MY_SECRET is {SECRET}"], final_stage="ERROR", message="exit code 1"
    )
    operator = HfRunJobOperator(
        task_id="train", image="python:3.12", command=["python", "train.py"], deferrable=True,
        labels={"fake-scenario": "echo"}, secrets={"MY_SECRET": SECRET},
    )  # fmt: skip
    with pytest.raises(TaskDeferred) as caught:
        operator.execute(context_for())
    trigger = roundtrip(caught.value.trigger)
    _, kwargs = trigger.serialize()
    assert SECRET not in json.dumps(kwargs) and kwargs["sealed_secrets"]  # sealed, not plaintext
    with capture_logs() as logged:
        event = await first_event(trigger)
    lines = [str(entry["event"]) for entry in logged]
    assert "MY_SECRET is ***" in lines
    assert event["status"] == "failed" and "MY_SECRET is ***" in event["log_tail"]
    assert SECRET not in json.dumps(event) and not any(SECRET in line for line in lines)
