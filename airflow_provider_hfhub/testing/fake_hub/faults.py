"""Injected faults: what they match, how many requests they hit, and what they do on the wire.

Kinds:

* ``status`` -- answer ``status`` (429 with ``Retry-After`` / ``RateLimit``, a 5xx...) either
  ``before`` the request is processed or ``after`` it (the work is done, the answer is lost);
* ``drop_stream`` -- after ``after_events`` SSE events, abort the connection mid-body; with
  ``partial``, in the middle of the next event (half of its bytes sent: a line cut in two);
* ``stall_stream`` -- after ``after_events`` SSE events, send nothing for ``seconds``;
* ``slow`` -- delay the response by ``seconds`` (``before`` processing, or ``after`` it);
* ``malformed_event`` -- after ``after_events`` SSE events, send one event whose data is not JSON;
* ``reset`` -- reset the connection (TCP RST, no answer at all) ``before`` the request is
  processed or ``after`` it, as a proxy or load balancer dropping a connection does.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.types import Message, Send

KINDS = ("status", "drop_stream", "stall_stream", "slow", "malformed_event", "reset")
MALFORMED_EVENT = b"data: {this is not json\n\n"


class StreamDropped(Exception):
    """Raised inside the app to make uvicorn cut the connection without a clean end."""


@dataclass
class Fault:
    kind: str = "status"
    path: str = ".*"
    method: str | None = None
    count: int = 1  # requests to hit; -1 for every matching request
    when: str = "before"
    status: int = 500
    message: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    rate_limit: float | None = None  # seconds for ``RateLimit: "api";r=0;t=<s>``
    after_events: int = 0
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    partial: bool = False
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if self.when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        self._regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.count != -1 and self.hits >= self.count:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return self._regex.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def error_message(self) -> str:
        if self.message:
            return self.message
        if self.status == 429:
            return "You have been rate-limited; please retry later."
        return f"Injected fault: HTTP {self.status}"

    def response_parts(self, request_id: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Return the raw status, headers and body of a ``status`` fault."""
        message = self.error_message()
        headers = {
            "content-type": "application/json",
            "x-error-message": message,
            "x-request-id": request_id,
            **{k.lower(): v for k, v in self.headers.items()},
        }
        if self.error_code:
            headers["x-error-code"] = self.error_code
        if self.retry_after is not None:
            headers["retry-after"] = _num(self.retry_after)
        if self.rate_limit is not None:
            headers["ratelimit"] = f'"api";r=0;t={_num(self.rate_limit)}'
            headers["ratelimit-policy"] = '"fixed window";"api";q=500;w=300'
        body = json.dumps({"error": message}).encode()
        headers["content-length"] = str(len(body))
        return self.status, [(k.encode(), v.encode()) for k, v in headers.items()], body


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def pick(faults: list[Fault], method: str, path: str) -> list[Fault]:
    """Return the faults that hit this request (one per kind), counting the hit."""
    chosen: dict[str, Fault] = {}
    for fault in faults:
        if fault.kind not in chosen and fault.matches(method, path):
            fault.hits += 1
            chosen[fault.kind] = fault
    return list(chosen.values())


def stream_send(send: Send, fault: Fault) -> Send:
    """Wrap ``send`` so that a drop/stall/malformed fault fires after ``after_events`` SSE events."""
    sent = 0
    fired = False

    async def wrapped(message: Message) -> None:
        nonlocal sent, fired
        if message["type"] != "http.response.body" or fired:
            await send(message)
            return
        if sent >= fault.after_events:
            fired = True
            if fault.kind == "malformed_event":
                await send({"type": "http.response.body", "body": MALFORMED_EVENT, "more_body": True})
                await send(message)
                return
            if fault.kind == "drop_stream":
                if fault.partial:
                    body = message.get("body", b"")
                    await send(
                        {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
                    )
                raise StreamDropped(f"fault: stream dropped after {sent} events")
            await asyncio.sleep(fault.seconds)
            await send(message)
            return
        await send(message)
        # Count real events only: keep-alive comments and empty data do not advance K.
        if message.get("body", b"").startswith((b"data: {", b"event:")):
            sent += 1
        if fault.kind == "drop_stream" and sent >= fault.after_events and not fault.partial:
            fired = True
            raise StreamDropped(f"fault: stream dropped after {sent} events")

    return wrapped
