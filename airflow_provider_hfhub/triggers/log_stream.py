"""Hub log lines into the task log: one record per line, split when very long, replays marked.

Pure; no Airflow import except the hook, looked up lazily.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub.models import LogLine
from airflow_provider_hfhub.triggers.events import LOG_TAIL_LINES

if TYPE_CHECKING:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

MAX_LINE_LENGTH = 8000
REPLAY_MARKER = "[replayed] "
# Kept in the tail (for a failure message) per line: enough to read, bounded for the event payload.
TAIL_LINE_LENGTH = 2000
# ``@task.hfhub_job`` sends its function's outcome back in the Job's log, one frame a line
# (``decorators/remote.py``); frames are the provider's own data, not the Job's output.
FRAME_PREFIX = "::hfhub-result::"


def is_frame(text: str) -> bool:
    return text.startswith(FRAME_PREFIX)


# A trigger that starts this long after its deferral was restarted or moved to another triggerer
# (a first run starts within seconds): the Hub replays the log from its start, so the lines it
# already showed are marked. A restart within this time is not recognised: a known limit.
RESTART_AGE_SECONDS = 30.0


def replay_before(deferred_at: float | None, now: float) -> float | None:
    """For a trigger run that is a restart, the epoch up to which lines may already be shown."""
    if deferred_at is None or now - deferred_at <= RESTART_AGE_SECONDS:
        return None
    return now


class LogForwarder:
    """One Hub line per log record (split, never dropped, when very long); keeps the tail for errors.

    Result frames (:data:`FRAME_PREFIX`) are counted but neither logged nor kept.

    :param redact: applied to every line before it is logged or kept (Job secrets).
    """

    def __init__(
        self,
        log: logging.Logger | Any,
        *,
        max_line_length: int = MAX_LINE_LENGTH,
        replay_before: float | None = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self._log = log
        self._max = max_line_length
        self._replay_before = replay_before
        self._redact = redact
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self.count = 0
        self._explained = False

    def _replayed(self, line: LogLine) -> bool:
        since = self._replay_before
        return since is not None and line.timestamp is not None and line.timestamp.timestamp() <= since

    def redact(self, text: str) -> str:
        return self._redact(text) if self._redact is not None else text

    def __call__(self, line: LogLine) -> None:
        self.count += 1
        if is_frame(line.text):
            return  # never in the task log nor a failure's tail (read by the decorator instead)
        marker = REPLAY_MARKER if self._replayed(line) else ""
        if marker and not self._explained:
            self._explained = True
            self._log.info(
                "Lines marked %swere printed before this trigger connected: its log is replayed from "
                "the start, so after a triggerer restart they may be shown above already",
                REPLAY_MARKER,
            )
        text = self.redact(line.text)
        if not marker and len(text) <= self._max:  # nearly every line: one record, nothing to add
            self._log.info("%s", text)
        else:
            for start in range(0, max(len(text), 1), self._max):
                part = "" if start == 0 else "[continued] "
                self._log.info("%s%s%s", marker, part, text[start : start + self._max])
        self.tail.append(text[:TAIL_LINE_LENGTH])


def hook_for(hfhub_conn_id: str) -> HfHubHook:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

    return HfHubHook(hfhub_conn_id)
