"""Space secrets and variables: values sent as meant, or refused before any Hub call."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_hfhub.operators.spaces import HfSpaceSecretsOperator, HfSpaceVariablesOperator
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task

SPACE = "fake-user/demo-app"


@pytest.mark.parametrize(
    ("operator", "values", "message"),
    [
        (
            HfSpaceVariablesOperator,
            {"variables": {"CONFIG": {"lr": 0.1}}},
            r"variables\['CONFIG'\] is \{'lr': 0.1\} \(dict\)",
        ),
        (HfSpaceVariablesOperator, {"variables": {"FLAG": True}}, r"is True \(bool\).*'true' or '1'"),
        (HfSpaceVariablesOperator, {"variables": {"LIST": [1, 2]}}, "json.dumps"),
        (HfSpaceSecretsOperator, {"secrets": {"API_KEY": None}}, r"secrets\['API_KEY'\] is None"),
    ],
)
def test_values_that_would_be_sent_as_a_python_repr_are_refused(
    hub_connection: FakeHub, operator: type, values: dict[str, Any], message: str
) -> None:
    hub_connection.add_space(SPACE)
    with pytest.raises(ValueError, match=message):
        operator(task_id="t", repo_id=SPACE, **values)
    if operator is HfSpaceVariablesOperator:  # templated: the rendered value is checked again
        rendered = HfSpaceVariablesOperator(task_id="t", repo_id=SPACE, variables={"CONFIG": "{{ x }}"})
        rendered.variables = values["variables"]
        with pytest.raises(ValueError, match=message):
            run_task(rendered)
    assert hub_connection.requests() == []


def test_variable_values_are_stored_as_meant(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE)
    variables = {"MODEL": "org/model", "EPOCHS": 3, "EVAL_ACCURACY": 0.91}  # numbers: native rendering
    result = run_task(HfSpaceVariablesOperator(task_id="t", repo_id=SPACE, variables=variables))
    assert result["variables"] == {"MODEL": "org/model", "EPOCHS": "3", "EVAL_ACCURACY": "0.91"}
