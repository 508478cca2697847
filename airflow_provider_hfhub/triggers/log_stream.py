"""What the Job and Space watches share: forwarding Hub lines to the task log, draining, stopping.

Pure async; no Airflow import except the hook, looked up lazily.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub.models import LogLine
from airflow_provider_hfhub.triggers.events import LOG_TAIL_LINES

if TYPE_CHECKING:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

# A trigger that starts this long after its deferral was restarted or moved to another triggerer:
# the log is replayed from its start, so lines it already showed are marked as replayed.
RESTART_AGE_SECONDS = 30.0


class LogForwarder:
    """One Hub line per log record (split, never dropped, when very long); keeps the tail for errors."""

    def __init__(self, log: logging.Logger | Any, max_line_length: int, replay_before: float | None) -> None:
        self._log = log
        self._max = max_line_length
        self._replay_before = replay_before
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self.count = 0

    def __call__(self, line: LogLine) -> None:
        marker = ""
        if self._replay_before is not None and line.timestamp is not None:
            marker = "[replayed] " if line.timestamp.timestamp() <= self._replay_before else ""
        text = line.text
        for start in range(0, max(len(text), 1), self._max):
            part = "" if start == 0 else "[continued] "
            self._log.info("%s%s%s", marker, part, text[start : start + self._max])
        self.tail.append(text[:2000])
        self.count += 1


def replay_before(
    log: logging.Logger | Any, stream_logs: bool, deferred_at: float | None, what: str
) -> float | None:
    """When a trigger runs again after a triggerer restart, the epoch before which lines were shown."""
    now = time.time()
    if not stream_logs or deferred_at is None or now - deferred_at <= RESTART_AGE_SECONDS:
        return None
    log.info(
        "Following %s again (triggerer restarted or the trigger moved): its log is replayed from the "
        "start, lines shown before are marked [replayed]",
        what,
    )
    return now


def hook_for(hfhub_conn_id: str) -> HfHubHook:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

    return HfHubHook(hfhub_conn_id)


async def drain(logs: asyncio.Future[None], forward: LogForwarder, quiet_seconds: float) -> None:
    """Read on while the stream still hands over lines; stop once it was quiet ``quiet_seconds``."""
    while not logs.done():
        before = forward.count
        await asyncio.wait({logs}, timeout=quiet_seconds)
        if forward.count == before:
            return


async def stop(task: asyncio.Future[None] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
