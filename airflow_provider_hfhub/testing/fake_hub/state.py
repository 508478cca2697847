"""Shared state of the fake Hub: settings, the clock, ids and growing log buffers.

Everything here is touched only from the server's event loop, so nothing needs a lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any


def now() -> float:
    """Return the current time as epoch seconds (the one clock of the fake)."""
    return time.time()


def iso(ts: float | None) -> str | None:
    """Format epoch seconds the way the Hub does: ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    if ts is None:
        return None
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def new_id() -> str:
    """Return a Hub-style object id: 24 lowercase hex characters."""
    return secrets.token_hex(12)


def stable_id(name: str) -> str:
    """Return a 24-hex id derived from a name, so users and orgs keep their ids across resets."""
    return hashlib.sha256(name.encode()).hexdigest()[:24]


@dataclass
class Settings:
    """Settings an admin can change at runtime through ``POST /_fake/config``."""

    user: str = "fake-user"
    token: str = "hf_fake_token"
    orgs: list[str] = field(default_factory=lambda: ["fake-org"])
    # Seconds between a Job's last log line (stream closed) and its stage turning terminal.
    stage_lag: float = 0.5
    keepalive_interval: float = 15.0
    metrics_interval: float = 1.0
    page_size: int = 50
    # The "api" bucket's requests per window (None: no budget, no RateLimit headers); fake_hub/ratelimit.py.
    rate_limit_quota: int | None = None
    rate_limit_window: float = 300.0

    def update(self, values: dict[str, Any]) -> None:
        """Apply known keys from ``values``; reject unknown ones so typos are loud."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        for key, value in values.items():
            setattr(self, key, list(value) if key == "orgs" else value)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def owns(self, namespace: str) -> bool:
        """Return whether the configured user may act in ``namespace``."""
        return namespace == self.user or namespace in self.orgs


class LogBuffer:
    """An append-only list of ``(line, timestamp)`` that SSE streams replay and then follow.

    ``closed`` means no more lines will come (the stream may end); ``dead`` means the server is
    shutting down and every stream must end now, whatever it was doing.
    """

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []
        self.closed = False
        self.dead = False
        self._changed = asyncio.Event()

    def append(self, line: str, ts: float | None = None) -> None:
        self.entries.append((line, iso(ts if ts is not None else now()) or ""))
        self._notify()

    def close(self) -> None:
        self.closed = True
        self._notify()

    def kill(self) -> None:
        self.dead = True
        self.closed = True
        self._notify()

    def lines(self) -> list[str]:
        return [line for line, _ in self.entries]

    def _notify(self) -> None:
        # Wake every waiter, then arm a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, timeout: float) -> bool:
        """Wait until the buffer changes; return False on timeout."""
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True
