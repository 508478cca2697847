"""What a trigger asks Airflow from the triggerer: its task's live state, an earlier run, secret masks.

All of it goes through the triggerer's supervisor channel (``task_runner.SUPERVISOR_COMMS.asend``
with ``GetTaskStates`` / ``GetXCom`` / ``SetXCom`` / ``MaskSecret``), the same on Airflow 3.1, 3.2
and 3.3 (``airflow/jobs/triggerer_job_runner.py``: ``ToTriggerSupervisor``). The triggerer sets
``trigger.task_instance`` after building the trigger. Outside a triggerer (unit tests,
``dag.test()``) there is no channel, and every question here answers "unknown".
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

# Bounded: during a triggerer stop the channel's reader is cancelled before the triggers are, so a
# request sent from cleanup() would otherwise wait until the triggerer is killed (3.2, 3.3:
# triggerer_job_runner.py, TriggerRunner.arun).
CHANNEL_TIMEOUT_SECONDS = 10.0
# Set by a trigger run when it starts; kept across the deferral (Airflow purges a try's XComs when
# the try starts, not when it resumes), so a later run of the same deferral knows it is not the first.
STARTED_KEY = "hfhub_trigger_started"


class Unknown:
    """The answer could not be had (no triggerer channel, or it failed)."""


UNKNOWN = Unknown()


def _channel(trigger: Any) -> tuple[Any, Any] | None:
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:
        return None
    ti, comms = getattr(trigger, "task_instance", None), getattr(task_runner, "SUPERVISOR_COMMS", None)
    if ti is None or comms is None:
        return None
    return ti, comms


async def _ask(comms: Any, message: Any) -> Any:
    return await asyncio.wait_for(comms.asend(message), CHANNEL_TIMEOUT_SECONDS)


async def task_state(trigger: Any) -> str | Unknown | None:
    """The live state of the trigger's task instance (None: cleared), or ``UNKNOWN``."""
    channel = _channel(trigger)
    if channel is None:
        return UNKNOWN
    ti, comms = channel
    from airflow.sdk.execution_time.comms import GetTaskStates

    map_index = ti.map_index if ti.map_index is not None else -1
    answer = await _ask(
        comms,
        GetTaskStates(dag_id=ti.dag_id, task_ids=[ti.task_id], run_ids=[ti.run_id], map_index=map_index),
    )
    key = ti.task_id if map_index < 0 else f"{ti.task_id}_{map_index}"
    states = getattr(answer, "task_states", None) or {}
    if key not in states.get(ti.run_id, {}):
        return UNKNOWN
    state = states[ti.run_id][key]
    return None if state is None else str(getattr(state, "value", state))


async def note_start(trigger: Any) -> bool | Unknown:
    """Record that this run started; whether an earlier run of this deferral did (or ``UNKNOWN``)."""
    channel = _channel(trigger)
    if channel is None:
        return UNKNOWN
    ti, comms = channel
    from airflow.sdk.execution_time.comms import GetXCom, SetXCom

    where = {"dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id, "map_index": ti.map_index}
    earlier = await _ask(comms, GetXCom(key=STARTED_KEY, **where))
    await _ask(comms, SetXCom(key=STARTED_KEY, value=time.time(), **where))
    return getattr(earlier, "value", None) is not None


async def mask(values: list[str]) -> None:
    """Register secrets with the triggerer's masker, which redacts the task log it writes."""
    try:
        from airflow.sdk.log import amask_secret  # 3.3+
    except ImportError:  # 3.1 / 3.2: sent from a thread, as a sync send from the loop fails on 3.1
        from airflow.sdk.log import mask_secret
        from asgiref.sync import sync_to_async

        for value in values:
            await sync_to_async(mask_secret)(value)
        return
    for value in values:
        await amask_secret(value)
