"""A Job's ``timeout`` read into the whole seconds the Hub takes. Standard library only: operators
check timeouts at DAG parse time with this same function, so what they accept is what is sent.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

# The official client's units (huggingface_hub 2.4, ``_jobs_api._create_job_spec``).
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")


def timeout_seconds(timeout: object) -> int:
    """``300``, ``"300"``, ``"90s"``, ``"5m"``, ``"1.5h"``, ``"2d"`` -> whole seconds (``timeoutSeconds``).

    Computed exactly. The official client truncates in floating point: ``1.5`` becomes 1 s,
    ``"0.5s"`` 0 (no limit at all), ``"2.05m"`` 122 s; a value that is not a whole number of
    seconds is refused here instead, with the nearest longer one to use.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float, str)):
        raise ValueError(f"timeout must be seconds or a string like '30m', got {timeout!r}")
    if isinstance(timeout, str):
        match = _DURATION.match(timeout)
        if not match:
            raise ValueError(
                f"timeout {timeout!r} is not a duration: use seconds or a number with s, m, h or d ('30m')"
            )
        seconds = Fraction(match[1]) * _UNITS[match[2] or "s"]
    elif isinstance(timeout, float) and not math.isfinite(timeout):
        raise ValueError(f"timeout must be a finite number of seconds, got {timeout!r}")
    else:
        seconds = Fraction(timeout)
    if seconds <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    if seconds.denominator != 1:
        raise ValueError(
            f"timeout {timeout!r} is {float(seconds):g} s, but the Hub counts whole seconds: "
            f"use {math.ceil(seconds)} (or whole units, e.g. '90s', '2m')"
        )
    return int(seconds)
