"""Reading the Hub's server-sent events: pure, no I/O.

The Hub replays a stream's whole history on every connection, so de-duplication is by position:
:class:`ReplayCursor` counts the events of each connection and lets through only those past what
was already delivered.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from httpx_sse import ServerSentEvent

from airflow_provider_hfhub.hub.models import LogLine

log = logging.getLogger(__name__)

# The Hub sends this line first on every Job stream (even with ?tail); the official client drops it.
JOB_STARTED_PREFIX = "===== Job started"


def event_payload(event: ServerSentEvent) -> dict[str, Any] | None:
    """The event's JSON object; None for keep-alives (empty ``data:``) and malformed events."""
    data = event.data
    if not data.startswith("{"):
        return None
    try:
        payload = json.loads(data)
    except ValueError:
        log.warning("Skipping a malformed event from the Hub: %.200s", data)
        return None
    if not isinstance(payload, dict):
        log.warning("Skipping an event that is not a JSON object: %.200s", data)
        return None
    return payload


def counts_as_event(event: ServerSentEvent) -> bool:
    """Whether the event takes a position in the replayed history (keep-alives do not)."""
    return event.data.startswith("{")


def log_line(payload: dict[str, Any]) -> LogLine | None:
    text = payload.get("data")
    if not isinstance(text, str):
        log.warning("Skipping a log event without text: %.200s", payload)
        return None
    stamp = payload.get("timestamp")
    return LogLine(text=text.rstrip("\n"), stamp=stamp if isinstance(stamp, str) else None)


@dataclass
class ReplayCursor:
    """Skips the replayed prefix of each new connection so no line is delivered twice.

    After a ``?tail=N`` connection the replay no longer starts where that one did; the cursor then
    resumes after the last delivered line (matched by timestamp and text) instead of by count.
    """

    delivered: int = 0
    position: int = 0
    resume_after: LogLine | None = None
    last: LogLine | None = None

    def new_connection(self, *, after_tail: bool = False) -> None:
        self.position = 0
        if after_tail:
            self.resume_after = self.last

    def accept(self, line: LogLine | None) -> bool:
        """Count one positional event (None: a malformed one); True if it must be delivered."""
        self.position += 1
        if line is None:
            self.delivered = (
                max(self.delivered, self.position) if self.resume_after is None else self.delivered
            )
            return False
        if self.resume_after is not None:
            marker = self.resume_after
            if line == marker:
                self.resume_after = None
                self.delivered = self.position
                return False
            if not (line.timestamp and marker.timestamp and line.timestamp > marker.timestamp):
                return False
            self.resume_after = None  # first line past the marker: resume here
        elif self.position <= self.delivered:
            return False
        self.delivered = self.position
        self.last = line
        return True
