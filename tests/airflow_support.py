"""Run operators the way Airflow's task runner does, against the fake Hub, without a metadata DB.

``run_task`` executes an operator; when it defers, the trigger goes through serialize() and back
(as the triggerer gets it), runs to its event, and the task resumes in ``execute_complete``.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

try:  # Airflow 3.2+ serialises trigger kwargs with serde (non-JSON values raise at defer time)
    from airflow.sdk.serde import deserialize, serialize
except ImportError:  # Airflow 3.1 stores them as JSON

    def serialize(value: Any) -> Any:
        return json.loads(json.dumps(value))

    deserialize = serialize

from airflow_provider_hfhub.testing import FakeHub


@dataclass
class TaskInstance:
    """The task instance fields the operators read, and an XCom store."""

    dag_id: str = "hf_dag"
    task_id: str = "train"
    run_id: str = "manual__2026-11-21T10:00:00+00:00"
    map_index: int = -1
    try_number: int = 1
    max_tries: int = 0  # Airflow: the task's retries, raised to try_number + retries by a clear
    start_date: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    xcoms: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        json.dumps(value)  # XCom values must be JSON-safe
        self.xcoms[key] = value

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value", **_: Any) -> Any:
        assert task_ids in (None, self.task_id), "only this task's own XComs are kept here"
        return self.xcoms.get(key)


class TaskStateStore(dict):  # type: ignore[type-arg]
    """Airflow 3.3's ``context["task_state_store"]``: per task instance, kept across tries."""

    def set(self, key: str, value: Any, **_: Any) -> None:
        json.dumps(value)
        self[key] = value


def context_for(ti: TaskInstance | None = None, store: TaskStateStore | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"ti": ti or TaskInstance()}
    if store is not None:
        context["task_state_store"] = store
    return context


def roundtrip(trigger: Any) -> Any:
    """The trigger as the triggerer rebuilds it: classpath + serde-serialised kwargs."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    cls = getattr(__import__(module, fromlist=[name]), name)
    return cls(**deserialize(serialize(kwargs)))


def deferred_trigger(operator: Any) -> Any:
    """The trigger the operator defers to."""
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context_for())
    return deferred.value.trigger


def assert_serializes_safely(
    trigger: Any, classpath: str, fields: set[str], secrets: list[str]
) -> dict[str, Any]:
    """The trigger's arguments: these fields, JSON primitives holding none of ``secrets``, rebuilt alike."""
    path, kwargs = trigger.serialize()
    assert path == classpath
    assert roundtrip(trigger).serialize() == (path, kwargs)
    text = json.dumps(kwargs)  # JSON primitives only
    for secret in secrets:
        assert secret not in text
    assert set(kwargs) == fields
    return kwargs


async def first_event(trigger: Any) -> dict[str, Any]:
    async for event in trigger.run():
        return dict(event.payload)
    raise AssertionError("the trigger ended without an event")


def run_task(operator: Any, context: dict[str, Any] | None = None) -> Any:
    """Run as Airflow does; a deferred task resumes on a fresh copy (a new process in Airflow),
    through ``resume_execution`` as the task runner calls it (sensors apply ``soft_fail`` there)."""
    context = context or context_for()
    fresh = copy.deepcopy(operator)
    try:
        return operator.execute(context)
    except TaskDeferred as deferred:
        event = asyncio.run(first_event(roundtrip(deferred.trigger)))
        kwargs = {**(deferred.kwargs or {}), "event": event}
        return fresh.resume_execution(deferred.method_name, kwargs, context)


def assert_streamed_once(output: str, lines: list[str]) -> None:
    """Each line in the task log exactly once, in order (Airflow's structlog writes it to stdout)."""
    positions = []
    for line in lines:
        assert output.count(line) == 1, f"{line!r} appears {output.count(line)} times"
        positions.append(output.index(line))
    assert positions == sorted(positions), "lines out of order"


def set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, host: str, token: str, **extra: str) -> str:
    """Define an ``hfhub`` connection as an environment connection; returns its id."""
    conn: dict[str, Any] = {"conn_type": "hfhub", "host": host, "password": token}
    if extra:
        conn["extra"] = extra
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    return conn_id


@pytest.fixture
def hub_connection(fake_hub_connection: FakeHub) -> FakeHub:
    """``hfhub_default`` pointing at the fake Hub: the plugin's ``fake_hub_connection`` users get."""
    return fake_hub_connection
