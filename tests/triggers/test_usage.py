"""The budget guard's schedule: when the watch must read the stage again (no request of its own)."""

from __future__ import annotations

import logging

import pytest

from airflow_provider_hfhub.hub.cost import Budget
from airflow_provider_hfhub.hub.models import JobInfo
from airflow_provider_hfhub.triggers.usage import BUDGET_POLL_SECONDS, BudgetGuard

START = "2026-12-01T10:00:00.000Z"


def _job(stage: str, started: str | None) -> JobInfo:
    data = {"id": "a" * 24, "owner": {"id": "1", "name": "me", "type": "user"}, "status": {"stage": stage}}
    if started:
        data["startedAt"] = started
    return JobInfo.from_json(data, endpoint="https://huggingface.co")


def _guard(max_cost_usd: float, per_minute: float) -> BudgetGuard:
    return BudgetGuard(hook=None, budget=Budget(max_cost_usd, per_minute), log=logging.getLogger(__name__))  # type: ignore[arg-type]


def test_a_job_not_yet_running_is_read_again_when_it_could_first_reach_the_budget() -> None:
    now = 1_000_000.0
    three_minutes = _guard(0.05, 0.016667)  # reached once the 3rd minute starts: 120 s of running
    assert three_minutes.next_check(None, now) == now + 120
    assert three_minutes.next_check(_job("SCHEDULING", None), now) == now + 120
    under_a_minute = _guard(0.01, 0.016667)  # reached as soon as it runs: poll while it waits
    assert under_a_minute.next_check(_job("SCHEDULING", None), now) == now + BUDGET_POLL_SECONDS


def test_a_running_job_is_read_again_one_second_into_the_minute_that_reaches_the_budget() -> None:
    job = _job("RUNNING", START)
    started = job.started_at.timestamp()  # type: ignore[union-attr]
    guard = _guard(0.05, 0.016667)
    assert guard.next_check(job, started + 10) == started + 121
    assert guard.next_check(job, started + 500) == pytest.approx(started + 501)  # never in the past
    assert _guard(1.0, 0.0).next_check(job, started) is None  # a free flavor never reaches it
