"""Server-sent event bodies: replay a log from the start, then follow it with keep-alives.

Every connection replays the full history because the official client de-duplicates by
position (it skips the first N ``data: {`` events on reconnect, docs/hub-api.md#log-streams).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.responses import StreamingResponse

from .state import LogBuffer

JOB_KEEPALIVE = b": keep-alive\n\n"
# Spaces send keep-alives as empty ``data:`` events, not comments (docs/hub-api.md#space-logs).
SPACE_KEEPALIVE = b"data:\n\n"


def data_event(payload: dict[str, Any], event: str | None = None) -> bytes:
    """Encode one SSE event with a compact JSON payload, as the Hub writes them."""
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


def sse_response(body: AsyncIterator[bytes]) -> StreamingResponse:
    """Wrap an event iterator as ``text/event-stream``.

    The middleware adds the ``Date`` header the client's no-follow cut-off reads; a second one
    would be joined with it into an unparsable value.
    """
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


async def follow_log(
    buf: LogBuffer,
    *,
    keepalive_interval: Callable[[], float],
    keepalive: bytes = JOB_KEEPALIVE,
    tail: int | None = None,
    endless: bool = False,
    suffix: str = "",
    limit: int | None = None,
) -> AsyncIterator[bytes]:
    """Replay ``buf`` from the start, then stream new lines until it closes.

    :param tail: send the first line (the "Job started" banner) and only the last ``tail`` lines.
    :param endless: never end, even once ``buf`` is closed (a real Hub failure mode).
    :param suffix: appended to each line (Space log lines carry their own newline).
    :param limit: stream at most this many entries (the endless-empty-stream failure sends one).
    """
    idx = 0
    if tail is not None and buf.entries:
        yield _line_event(buf.entries[0], suffix)
        idx = max(1, len(buf.entries) - tail)
    while not buf.dead:
        stop = len(buf.entries) if limit is None else min(limit, len(buf.entries))
        while idx < stop:
            yield _line_event(buf.entries[idx], suffix)
            idx += 1
        if buf.closed and not endless:
            return
        if not await buf.wait_change(keepalive_interval()):
            yield keepalive


def _line_event(entry: tuple[str, str], suffix: str) -> bytes:
    line, ts = entry
    return data_event({"data": line + suffix, "timestamp": ts})
