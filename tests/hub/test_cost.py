"""The billing rule and the budget, from prices in the Hub's shape; no server needed."""

from __future__ import annotations

import pytest

from airflow_provider_hfhub.hub import HardwareInfo, JobInfo
from airflow_provider_hfhub.hub.cost import (
    Budget,
    billed_minutes,
    cost_usd,
    price_per_minute,
    running_seconds,
)

A10G_SMALL = {"name": "a10g-small", "unitCostMicroUSD": 16667, "unitCostUSD": 0.016667, "unitLabel": "minute"}
START = "2026-12-01T10:00:00.000Z"


def _job(stage: str, started: str | None = START, finished: str | None = None, **durations: int) -> JobInfo:
    data = {"id": "a" * 24, "owner": {"id": "1", "name": "me", "type": "user"}, "status": {"stage": stage}}
    data.update({"startedAt": started, "finishedAt": finished, "durations": durations})
    return JobInfo.from_json(data, endpoint="https://huggingface.co")


def test_price_per_minute_reads_the_unit_the_hub_prices_by() -> None:
    assert price_per_minute(HardwareInfo.from_json(A10G_SMALL)) == pytest.approx(0.016667)
    hourly = HardwareInfo.from_json({**A10G_SMALL, "unitCostUSD": 1.0, "unitLabel": "hour"})
    assert price_per_minute(hourly) == pytest.approx(1 / 60)
    assert price_per_minute(HardwareInfo.from_json({**A10G_SMALL, "unitLabel": "fortnight"})) is None
    assert price_per_minute(HardwareInfo.from_json({"name": "x"})) is None
    assert price_per_minute(None) is None


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (1, 1), (59.5, 1), (60, 1), (60.4, 2), (3600, 60), (3601, 61)]
)
def test_every_started_minute_is_billed(seconds: float, minutes: int) -> None:
    assert billed_minutes(seconds) == minutes


def test_cost_for_a_known_running_time() -> None:
    # 5 min 30 s on a10g-small ($1.00 an hour): 6 billed minutes.
    assert cost_usd(330, 0.016667) == pytest.approx(0.100002)


def test_running_seconds_from_the_jobs_timestamps_else_the_hubs_whole_seconds() -> None:
    now = _job("RUNNING").started_at.timestamp() + 95  # type: ignore[union-attr]
    assert running_seconds(_job("SCHEDULING", started=None), now) == 0
    assert running_seconds(_job("RUNNING"), now) == pytest.approx(95)
    done = _job("COMPLETED", finished="2026-12-01T10:00:00.900Z", runningSecs=0)  # truncated by the Hub
    assert running_seconds(done, now + 1000) == pytest.approx(0.9)
    assert running_seconds(_job("ERROR", started=None, runningSecs=118), now) == 118
    assert running_seconds(_job("CANCELED", started=None), now) == 0


def test_budget_is_reached_when_the_minute_that_reaches_it_starts() -> None:
    budget = Budget(max_cost_usd=0.05, per_minute=0.016667)  # 3 minutes reach $0.050001
    assert budget.reached_after() == 120
    assert not budget.reached(120) and budget.reached(120.5)
    assert budget.timeout_seconds() == 120  # what it pays in full: 2 minutes
    exact = Budget(max_cost_usd=0.03, per_minute=0.01)
    assert exact.reached_after() == 120 and exact.timeout_seconds() == 180
    tiny = Budget(max_cost_usd=0.001, per_minute=0.016667)  # less than one minute
    assert tiny.reached_after() == 0 and tiny.reached(0.1) and tiny.timeout_seconds() == 60
    assert "max_cost_usd=$0.05, cost so far $0.050001" in budget.describe(125)


def test_a_free_flavor_never_reaches_a_budget() -> None:
    free = Budget(max_cost_usd=1.0, per_minute=0.0)
    assert not free.reached(10**6) and free.reached_after() is None and free.timeout_seconds() is None
