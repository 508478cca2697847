"""Bad input fails with a clear error before any Hub call."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator, HfRunUvJobOperator
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task

GOOD: dict[str, Any] = {"task_id": "t", "image": "python:3.12", "command": ["python", "-c", "print(1)"]}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"image": "Not An Image!"}, "neither a Docker image"),
        ({"image": ""}, "neither a Docker image"),
        ({"command": []}, "non-empty list of strings"),
        ({"command": "python train.py"}, "list of strings"),
        ({"command": ["python", 3]}, "non-empty list of strings"),
        ({"timeout": "ten minutes"}, "is not a duration"),
        ({"timeout": -5}, "must be positive"),
        ({"labels": {"team": "ml ops"}}, "letters, digits"),
        ({"labels": {"bad key!": "x"}}, "letters, digits"),
        ({"labels": {"k": "v" * 101}}, "1-100"),
        ({"labels": {"airflow-dag": "x"}}, "set by the provider"),
        ({"env": ["A=1"]}, "dict of environment variable names"),
        ({"secrets": {"": "x"}}, "dict of environment variable names"),
        ({"poll_interval": 0}, "poll_interval must be positive"),
        ({"scheduling_timeout": -1}, "scheduling_timeout must be positive"),
    ],
)
def test_invalid_arguments_fail_at_dag_parse_time(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HfRunJobOperator(**{**GOOD, **override})


def test_unknown_flavor_lists_the_valid_ones_and_starts_nothing(hub_connection: FakeHub) -> None:
    with pytest.raises(ValueError, match=r"unknown flavor 'a100-huge'; valid values: .*a10g-small.*h200"):
        run_task(HfRunJobOperator(**GOOD, flavor="a100-huge"))
    assert [r["path"] for r in hub_connection.requests()] == ["/api/jobs/hardware"]
    assert hub_connection.jobs() == []


def test_templated_values_are_checked_once_rendered(hub_connection: FakeHub) -> None:
    operator = HfRunJobOperator(**{**GOOD, "image": "{{ params.image }}", "timeout": "{{ params.t }}"})
    operator.image, operator.timeout = "python:3.12", "soon"  # what rendering produced
    with pytest.raises(ValueError, match="is not a duration"):
        run_task(operator)
    assert hub_connection.requests() == []


def test_uv_operator_needs_a_script() -> None:
    with pytest.raises(ValueError, match="script must be"):
        HfRunUvJobOperator(task_id="uv", script="  ")
    with pytest.raises(ValueError, match="dependencies must be a list of strings"):
        HfRunUvJobOperator(task_id="uv", script="https://x.co/a.py", dependencies="trl")


def test_secrets_are_not_a_template_field() -> None:
    assert "secrets" not in HfRunJobOperator.template_fields
    assert "secrets" not in HfRunUvJobOperator.template_fields


def test_templated_label_values_wait_for_rendering(hub_connection: FakeHub) -> None:
    operator = HfRunJobOperator(**{**GOOD, "labels": {"team": "{{ params.team }}"}})  # no parse-time error
    operator.labels = {"team": "ml ops"}  # what rendering produced: not a valid label value
    with pytest.raises(ValueError, match="letters, digits"):
        run_task(operator)
    assert hub_connection.jobs() == []
