"""The budget guard's schedule: when the watch must read the stage again (no request of its own)."""

from __future__ import annotations

import logging

import pytest

from airflow_provider_hfhub.hub.cost import Budget
from airflow_provider_hfhub.hub.models import JobInfo
from airflow_provider_hfhub.triggers.usage import BudgetGuard

START = "2026-12-01T10:00:00.000Z"


def _job(stage: str, started: str | None) -> JobInfo:
    data = {"id": "a" * 24, "owner": {"id": "1", "name": "me", "type": "user"}, "status": {"stage": stage}}
    if started:
        data["startedAt"] = started
    return JobInfo.from_json(data, endpoint="https://huggingface.co")


def _guard(max_cost_usd: float, per_minute: float) -> BudgetGuard:
    return BudgetGuard(hook=None, budget=Budget(max_cost_usd, per_minute), log=logging.getLogger(__name__))  # type: ignore[arg-type]


def test_a_job_not_yet_running_waits_for_the_pollers_news_of_its_start() -> None:
    now = 1_000_000.0
    guard = _guard(0.05, 0.016667)  # reached once the 3rd minute starts: 120 s of running
    assert guard.next_check(None, now) is None
    assert guard.next_check(_job("SCHEDULING", None), now) is None


def test_a_running_job_is_read_again_one_second_into_the_minute_that_reaches_the_budget() -> None:
    job = _job("RUNNING", START)
    started = job.started_at.timestamp()  # type: ignore[union-attr]
    guard = _guard(0.05, 0.016667)
    assert guard.next_check(job, started + 10) == started + 121
    assert guard.next_check(job, started + 500) == pytest.approx(started + 501)  # never in the past
    assert _guard(1.0, 0.0).next_check(job, started) is None  # a free flavor never reaches it
