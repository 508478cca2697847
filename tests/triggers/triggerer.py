"""A trigger run as the triggerer runs it: with its task instance and the channel to Airflow."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.execution_time import task_runner


class Supervisor:
    """The triggerer's channel to Airflow, as a trigger sees it: answers the task's live state."""

    def __init__(self, state: str | None) -> None:
        self.state = state
        self.asked: list[str] = []

    async def asend(self, message: Any) -> Any:
        kind = type(message).__name__
        self.asked.append(kind)
        if kind == "GetTaskStates":
            return SimpleNamespace(task_states={message.run_ids[0]: {message.task_ids[0]: self.state}})
        return SimpleNamespace(value=None)  # GetXCom (no earlier run), SetXCom


def on_triggerer(trigger: Any, monkeypatch: pytest.MonkeyPatch, state: str | None) -> Supervisor:
    """Run the trigger as the triggerer would: its task is in ``state`` (None: cleared)."""
    supervisor = Supervisor(state)
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", supervisor, raising=False)
    trigger.task_instance = SimpleNamespace(
        dag_id="hf_dag", task_id="train", run_id="manual__1", map_index=-1
    )
    return supervisor
