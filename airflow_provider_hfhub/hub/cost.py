"""What a Job costs: the flavor's price, the Hub's billing rule, and a budget turned into time.

The rule, from the Hub's Jobs pricing page (https://huggingface.co/docs/hub/jobs-pricing): "Billing
on Jobs is based on hardware usage and is computed by the minute: you get charged for every minute
the Jobs runs on the requested hardware", and a Job "is only billed when the Job is Starting or
Running" (no cost while it waits for hardware). So the billed time is the running time rounded *up*
to whole minutes (a started minute is a billed minute; the page does not say more, this is our
reading), times the flavor's ``unitCostUSD`` per ``unitLabel`` from ``GET /api/jobs/hardware``.
Not counted: the flat charge for exposed ports the same page lists ($0.01 an hour a Job).

Pure, no I/O and no Airflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from airflow_provider_hfhub.hub.models import HardwareInfo, JobInfo

PRICING_URL = "https://huggingface.co/docs/hub/jobs-pricing"
ROUNDING_RULE = "each started minute of running time is billed"
# Seconds in each unit the hardware list may price by (the Hub sends "minute").
_UNIT_SECONDS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
# Prices are micro-dollars (``unitCostMicroUSD``): cents of a cent never make a budget differ.
_EPSILON = 1e-9


def price_per_minute(hardware: HardwareInfo | None) -> float | None:
    """USD a billed minute of this flavor costs; None when the Hub's entry gives no usable price."""
    if hardware is None or not isinstance(hardware.unit_cost_usd, (int, float)):
        return None
    seconds = _UNIT_SECONDS.get(str(hardware.unit_label or "").lower())
    if seconds is None:
        return None
    return float(hardware.unit_cost_usd) * 60.0 / seconds


def billed_minutes(running_seconds: float) -> int:
    """Whole minutes billed for this running time (every started minute counts)."""
    return max(0, math.ceil(running_seconds / 60.0 - _EPSILON))


def cost_usd(running_seconds: float, per_minute: float) -> float:
    """What this running time costs, rounded to the micro-dollar the Hub prices in."""
    return round(billed_minutes(running_seconds) * per_minute, 6)


def running_seconds(job: JobInfo, now: float) -> float:
    """The Job's billed time so far (epoch ``now``): 0 before it runs.

    From ``startedAt`` and ``finishedAt`` (milliseconds) when the Job has them; the Hub's
    ``durations.runningSecs`` (whole seconds, truncated) only for a finished Job without them.
    """
    durations = job.raw.get("durations") or {}
    if job.started_at is not None:
        end = job.finished_at.timestamp() if job.finished_at is not None else now
        return max(0.0, end - job.started_at.timestamp())
    if job.stage.is_terminal and isinstance(durations.get("runningSecs"), (int, float)):
        return float(durations["runningSecs"])
    return 0.0


@dataclass(frozen=True)
class Budget:
    """The most a Job may cost, against its flavor's price.

    :param max_cost_usd: the budget, in USD.
    :param per_minute: the flavor's price of a billed minute, in USD.
    """

    max_cost_usd: float
    per_minute: float

    def spent(self, running: float) -> float:
        return cost_usd(running, self.per_minute)

    def reached(self, running: float) -> bool:
        return self.per_minute > 0 and self.spent(running) >= self.max_cost_usd - _EPSILON

    def reached_after(self) -> float | None:
        """Running seconds past which the cost reaches the budget (None: a free flavor never does).

        The cost steps up when a minute starts: with ``m`` minutes needed to reach the budget, it
        is reached as soon as the ``m``-th minute starts, after ``(m - 1) * 60`` s.
        """
        if self.per_minute <= 0:
            return None
        minutes = max(1, math.ceil(self.max_cost_usd / self.per_minute - _EPSILON))
        return (minutes - 1) * 60.0

    def timeout_seconds(self) -> int | None:
        """The longest Hub-side ``timeout`` the budget pays for in full (at least a minute)."""
        if self.per_minute <= 0:
            return None
        minutes = math.floor(self.max_cost_usd / self.per_minute + _EPSILON)
        return max(1, minutes) * 60

    def describe(self, running: float) -> str:
        return f"budget max_cost_usd=${self.max_cost_usd:g}, cost so far ${self.spent(running):.6g}"
