"""What the Hub says about our request budget, read from every answer. No I/O, no Airflow imports.

The Hub sends the IETF draft headers (https://huggingface.co/docs/hub/rate-limits, draft version 9;
``huggingface_hub/utils/_http.py::parse_ratelimit_headers``)::

    RateLimit: "api";r=412;t=55                     requests remaining, seconds until the window resets
    RateLimit-Policy: "fixed window";"api";q=500;w=300   requests per window, window length

Windows are five minutes. A transport records each answer's headers in one :class:`RateBudget`
(per client, so per connection); the triggerer's shared stage poller reads it to slow down before a
429 comes, and to pause once when one does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_REMAINING = re.compile(r";\s*r=(\d+)")
_RESET = re.compile(r";\s*t=(\d+(?:\.\d+)?)")
_QUOTA = re.compile(r";\s*q=(\d+)")

# "Low" is less than this share of the window's quota left: the poller then spreads what is left.
LOW_SHARE = 0.2


@dataclass
class RateBudget:
    """The last budget the Hub reported, and the last 429; times are monotonic seconds."""

    remaining: int | None = None
    quota: int | None = None
    resets_at: float | None = None
    throttled_until: float = 0.0
    throttles: int = 0

    def observe(self, status: int, headers: Mapping[str, str], now: float, retry_after: float | None) -> None:
        """Record one answer: its ``RateLimit`` headers, and a 429's wait."""
        limit = headers.get("ratelimit")
        if limit:
            remaining, reset = _REMAINING.search(limit), _RESET.search(limit)
            if remaining:
                self.remaining = int(remaining.group(1))
            if reset:
                self.resets_at = now + float(reset.group(1))
        quota = _QUOTA.search(headers.get("ratelimit-policy", ""))
        if quota:
            self.quota = int(quota.group(1))
        if status == 429:
            self.throttles += 1
            wait = retry_after if retry_after is not None else self.seconds_to_reset(now) or 0.0
            self.throttled_until = max(self.throttled_until, now + wait)

    def seconds_to_reset(self, now: float) -> float | None:
        return max(0.0, self.resets_at - now) if self.resets_at is not None else None

    def low(self, now: float) -> bool:
        """Little of the current window's budget is left (and the window has not reset since)."""
        if self.remaining is None or self.quota is None or not self.quota:
            return False
        if self.resets_at is not None and now >= self.resets_at:
            return False
        return self.remaining < self.quota * LOW_SHARE

    def spread(self, now: float, requests_per_round: int) -> float:
        """Seconds between rounds that make what is left of the window last until it resets."""
        reset = self.seconds_to_reset(now) or 0.0
        rounds_left = max((self.remaining or 0) // max(requests_per_round, 1), 1)
        return reset / rounds_left
