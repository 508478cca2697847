"""Reading the Hub's server-sent events: pure, no I/O.

:class:`EventParser` turns a stream's bytes into events, a whole network read at a time. The Hub
replays a stream's whole history on every connection, so de-duplication is by position:
:class:`ReplayCursor` counts the events of each connection and lets through only those past what
was already delivered.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from airflow_provider_hfhub.hub.models import LogLine

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event of an event stream."""

    data: str = ""
    event: str = "message"
    id: str = ""
    retry: int | None = None


class EventParser:
    """Turns the bytes of an event stream into events, one network read at a time.

    A triggerer reads a thousand streams in one event loop: parsing each read's lines in one call,
    instead of one async generator step per line and per decoding layer, is most of what a line
    costs there (``benchmarks.fleet``, README "Performance"). Lines end with CRLF, LF or CR, also
    across reads; text is UTF-8 (a line never splits a character: line ends are ASCII). Fields as
    in WHATWG HTML, "Interpreting an event stream"
    (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
    """

    def __init__(self) -> None:
        self._rest = b""  # the start of a line whose end has not come yet
        self._data: list[str] = []
        self._event = ""
        self._id = ""
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events that this read completes."""
        lines = (self._rest + chunk).splitlines(keepends=True)
        # A line without its end waits for the next read, and so does one ending in CR: the LF of
        # a CRLF may come in the next read.
        self._rest = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        events = []
        for raw in lines:
            event = self._line(raw.rstrip(b"\r\n").decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[ServerSentEvent]:
        """The event a last line ending in CR completes; an event left unfinished is dropped (the spec)."""
        rest, self._rest = self._rest, b""
        event = self._line(rest.rstrip(b"\r").decode("utf-8", "replace")) if rest.endswith(b"\r") else None
        return [event] if event is not None else []

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:  # a blank line dispatches the event gathered so far, if it has data
            if not self._data:
                self._event = ""
                return None
            event = ServerSentEvent(
                event=self._event or "message", data="\n".join(self._data), id=self._id, retry=self._retry
            )
            self._data, self._event, self._retry = [], "", None
            return event
        if line.startswith(":"):  # a comment: the Hub's keep-alive
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None


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
