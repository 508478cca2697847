"""The Hub's "api" rate-limit bucket, when a test sets ``rate_limit_quota``: a fixed window of requests.

Like the Hub (https://huggingface.co/docs/hub/rate-limits, IETF draft version 9, as
``huggingface_hub/utils/_http.py::parse_ratelimit_headers`` reads it), each API answer then carries
``RateLimit: "api";r=<remaining>;t=<seconds to reset>`` and
``RateLimit-Policy: "fixed window";"api";q=<quota>;w=<window>``, and a request past the quota is
answered 429 with the same headers. Off by default (no headers), as the fake Hub has no budget to
report until a test sets one.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from starlette.types import Message, Send


@dataclass
class RateWindow:
    started: float = 0.0
    used: int = 0

    def take(self, quota: int, window: float, now: float) -> tuple[int, float]:
        """Count one request; return the requests left (negative: over quota) and seconds to reset."""
        if now >= self.started + window:
            self.started, self.used = now, 0
        self.used += 1
        return quota - self.used, self.started + window - now


def headers(remaining: int, reset: float, quota: int, window: float) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit", f'"api";r={max(remaining, 0)};t={math.ceil(reset)}'.encode()),
        (b"ratelimit-policy", f'"fixed window";"api";q={quota};w={math.ceil(window)}'.encode()),
    ]


def with_budget(send: Send, budget: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *budget]}
        await send(message)

    return wrapped


async def send_throttled(send: Send, budget: list[tuple[bytes, bytes]], reset: float) -> None:
    body = json.dumps({"error": "You have been rate-limited; please retry later."}).encode()
    start_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(math.ceil(reset)).encode()),
        *budget,
    ]
    await send({"type": "http.response.start", "status": 429, "headers": start_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def now() -> float:
    return time.monotonic()
