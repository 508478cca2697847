"""Space operators that change settings (pause, sleep time, secrets, variables) and input checks."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk._shared.secrets_masker import redact

from airflow_provider_hfhub.operators.spaces import (
    HfDuplicateSpaceOperator,
    HfPauseSpaceOperator,
    HfRequestSpaceHardwareOperator,
    HfRestartSpaceOperator,
    HfSetSpaceSleepTimeOperator,
    HfSpaceSecretsOperator,
    HfSpaceVariablesOperator,
)
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import TaskInstance, context_for, run_task

SPACE = "fake-user/demo-app"


def test_pause_stops_the_space_and_pushes_its_url(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE)
    ti = TaskInstance(task_id="pause")
    result = run_task(HfPauseSpaceOperator(task_id="pause", repo_id=SPACE), context_for(ti))
    assert (result["stage"], result["hardware"]) == ("PAUSED", None)
    assert hub_connection.space_state(SPACE)["stage"] == "PAUSED"
    assert ti.xcoms == {"space_url": f"{hub_connection.url}/spaces/{SPACE}"}


def test_sleep_time_is_set(hub_connection: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    hub_connection.add_space(SPACE, hardware="t4-small")
    result = run_task(HfSetSpaceSleepTimeOperator(task_id="sleep", repo_id=SPACE, sleep_time=3600))
    assert result["sleep_time"] == hub_connection.space_state(SPACE)["sleep_time"] == 3600
    assert "48 h" not in capsys.readouterr().out
    [request] = [r for r in hub_connection.requests() if r["path"].endswith("/sleeptime")]
    assert request["json"] == {"seconds": 3600}


def test_sleep_time_on_free_hardware_warns(
    hub_connection: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_space(SPACE, hardware="cpu-basic")
    run_task(HfSetSpaceSleepTimeOperator(task_id="sleep", repo_id=SPACE, sleep_time=-1))
    assert "Free cpu-basic Spaces sleep after 48 h" in capsys.readouterr().out


def test_secrets_are_set_and_deleted_and_their_values_masked_never_shown(
    hub_connection: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {"OPENAI_API_KEY": "sk-live-7d1e9c0a", "DB_PASSWORD": "pw-4b2f-91ce"}
    hub_connection.add_space(SPACE, secrets={"OLD_TOKEN": "x", "KEEP": "y"})
    ti = TaskInstance(task_id="secrets")
    operator = HfSpaceSecretsOperator(
        task_id="secrets", repo_id=SPACE, secrets=values, delete_secrets=["OLD_TOKEN", "NEVER_SET"]
    )
    result = run_task(operator, context_for(ti))
    assert set(hub_connection.space_state(SPACE)["secrets"]) == {"KEEP", "OPENAI_API_KEY", "DB_PASSWORD"}
    assert result["secrets_set"] == ["DB_PASSWORD", "OPENAI_API_KEY"]
    assert result["secrets_deleted"] == ["NEVER_SET", "OLD_TOKEN"]
    assert "secrets" not in HfSpaceSecretsOperator.template_fields
    shown = capsys.readouterr()
    for value in values.values():
        assert redact(f"token={value}") == "token=***", "the value was not registered with the masker"
        assert value not in shown.out + shown.err + str(result) + str(ti.xcoms)
    sent = [r["json"] for r in hub_connection.requests() if r["path"].endswith("/secrets")]
    assert {"key": "OPENAI_API_KEY", "value": values["OPENAI_API_KEY"]} in sent


def test_variables_are_set_and_deleted(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, variables={"OLD": "1", "KEEP": "2"})
    operator = HfSpaceVariablesOperator(
        task_id="variables", repo_id=SPACE, variables={"MODEL_REVISION": "abc123", "THRESHOLD": 0.9},
        delete_variables=["OLD"],
    )  # fmt: skip
    result = run_task(operator)
    expected = {"KEEP": "2", "MODEL_REVISION": "abc123", "THRESHOLD": "0.9"}
    assert result["variables"] == expected
    assert {k: v["value"] for k, v in hub_connection.space_state(SPACE)["variables"].items()} == expected
    assert result["stage"] == "RUNNING" and result["repo_id"] == SPACE


INVALID: list[tuple[type, dict[str, Any], str]] = [
    (HfRestartSpaceOperator, {"repo_id": "just-a-name"}, "must look like 'namespace/space-name'"),
    (HfRestartSpaceOperator, {"repo_id": SPACE, "startup_timeout": 0}, "startup_timeout must be positive"),
    (HfRequestSpaceHardwareOperator, {"repo_id": SPACE, "hardware": "T4 Small"}, "Space hardware flavor"),
    (
        HfRequestSpaceHardwareOperator,
        {"repo_id": SPACE, "hardware": "t4-small", "sleep_time": 30},
        "at least 60",
    ),
    (HfSetSpaceSleepTimeOperator, {"repo_id": SPACE, "sleep_time": "1h"}, "sleep_time must be -1"),
    (HfSpaceSecretsOperator, {"repo_id": SPACE, "secrets": {"1BAD": "v"}}, "name '1BAD' is invalid"),
    (
        HfSpaceSecretsOperator,
        {"repo_id": SPACE, "secrets": {"A": "v"}, "delete_secrets": ["A"]},
        "both set and",
    ),
    (HfSpaceSecretsOperator, {"repo_id": SPACE, "delete_secrets": "A"}, "must be a list of names"),
    (HfSpaceVariablesOperator, {"repo_id": SPACE, "variables": ["A"]}, "must be a dict"),
    (HfDuplicateSpaceOperator, {"repo_id": SPACE, "storage": "huge"}, "unknown storage tier 'huge'"),
    (HfDuplicateSpaceOperator, {"repo_id": SPACE, "to_id": "a/b/c"}, "must look like"),
]


@pytest.mark.parametrize(("cls", "kwargs", "message"), INVALID)
def test_invalid_arguments_fail_at_parse_time(
    hub_connection: FakeHub, cls: type, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cls(task_id="t", **kwargs)
    assert hub_connection.requests() == []


@pytest.mark.parametrize(
    ("cls", "kwargs", "rendered", "message"),
    [
        (HfRestartSpaceOperator, {}, {"repo_id": "not a repo"}, "must look like"),
        (HfRequestSpaceHardwareOperator, {"hardware": "{{ params.hw }}"}, {"hardware": "A100!"}, "flavor"),
        (HfSpaceVariablesOperator, {"variables": "{{ params.v }}"}, {"variables": {"x y": "1"}}, "invalid"),
        (HfSpaceVariablesOperator, {"variables": "{{ params.v }}"}, {"variables": {}}, "nothing to do"),
    ],
)
def test_invalid_rendered_values_fail_before_any_hub_call(
    hub_connection: FakeHub, cls: type, kwargs: dict[str, Any], rendered: dict[str, Any], message: str
) -> None:
    hub_connection.add_space(SPACE)
    operator = cls(task_id="t", repo_id="{{ params.space }}", **kwargs)  # accepted: checked once rendered
    for name, value in {"repo_id": SPACE, **rendered}.items():
        setattr(operator, name, value)  # what rendering the templates does
    with pytest.raises(ValueError, match=message):
        run_task(operator)
    assert hub_connection.requests() == []


def test_unknown_hardware_is_checked_against_the_live_list_and_nothing_is_changed(
    hub_connection: FakeHub,
) -> None:
    hub_connection.add_space(SPACE)
    operator = HfRequestSpaceHardwareOperator(task_id="hw", repo_id=SPACE, hardware="h100x99")
    with pytest.raises(ValueError, match=r"unknown Space hardware 'h100x99'; valid values: .*t4-small"):
        run_task(operator)
    assert [(r["method"], r["path"]) for r in hub_connection.requests()] == [("GET", "/api/spaces/hardware")]


def test_known_hardware_needs_no_live_list(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE)
    run_task(
        HfRequestSpaceHardwareOperator(task_id="hw", repo_id=SPACE, hardware="l4x1", wait_for_running=False)
    )
    assert not [r for r in hub_connection.requests() if r["path"] == "/api/spaces/hardware"]
    assert hub_connection.space_state(SPACE)["requested_hardware"] == "l4x1"
