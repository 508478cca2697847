"""Job triggers in one event loop share one stage poller: counted in the fake Hub's request log."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import pytest

from airflow_provider_hfhub.hooks.hfhub import HfHubHook
from airflow_provider_hfhub.hub.models import JobInfo
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers import stage_poller
from airflow_provider_hfhub.triggers.jobs import HfJobTrigger
from tests.airflow_support import first_event

JOBS = 12
LISTING = re.compile(r"^/api/jobs/[^/]+$")
INSPECT = re.compile(r"^/api/jobs/[^/]+/[0-9a-f]{24}$")


def start_jobs(fake_hub: FakeHub, count: int, **scenario: Any) -> list[str]:
    fake_hub.add_job_scenario("held", ["started"], hold=True, **scenario)
    hook = HfHubHook()
    return [
        hook.run_job(image="python:3.12", command=["true"], labels={"fake-scenario": "held"}).id
        for _ in range(count)
    ]


def stage_requests(fake_hub: FakeHub, since: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The listings and the inspects the fake Hub answered after ``since`` (epoch seconds)."""
    gets = [r for r in fake_hub.requests() if r["method"] == "GET" and r["time"] >= since]
    return [r for r in gets if LISTING.match(r["path"])], [r for r in gets if INSPECT.match(r["path"])]


def follow(job_ids: list[str], namespace: str, **kwargs: Any) -> list[asyncio.Task[dict[str, Any]]]:
    return [
        asyncio.ensure_future(first_event(HfJobTrigger(job_id=job_id, namespace=namespace, **kwargs)))
        for job_id in job_ids
    ]


def streams(fake_hub: FakeHub) -> int:
    return sum(r["path"].endswith("/logs") for r in fake_hub.requests())


async def until(condition: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_jobs_ending_together_cost_a_few_listings_and_one_inspect_each(hub_connection: FakeHub) -> None:
    # The stage lags the end of each stream by 1.2 s: a watch alone would ask several times.
    hub_connection.configure(stage_lag=1.2)
    job_ids = start_jobs(hub_connection, JOBS)
    tasks = follow(job_ids, hub_connection.user, poll_interval=600)
    await until(lambda: streams(hub_connection) >= JOBS)
    since = time.time()
    for job_id in job_ids:
        hub_connection.finish_job(job_id)
    events = await asyncio.gather(*tasks)

    assert [e["status"] for e in events] == ["success"] * JOBS
    listings, inspects = stage_requests(hub_connection, since)
    assert sorted(r["path"].rsplit("/", 1)[1] for r in inspects) == sorted(job_ids)  # one each
    assert 1 <= len(listings) <= 8, len(listings)  # shared rounds, not one per Job
    assert all(sorted(q[1] for q in r["query"]) == ["RUNNING", "SCHEDULING"] for r in listings)


async def test_silent_jobs_cost_one_listing_per_round(hub_connection: FakeHub) -> None:
    job_ids = start_jobs(hub_connection, JOBS)
    tasks = follow(job_ids, hub_connection.user, poll_interval=0.5)
    await until(lambda: streams(hub_connection) >= JOBS)
    since = time.time()
    await asyncio.sleep(2.6)  # about five backstop rounds of 0.5 s
    listings, inspects = stage_requests(hub_connection, since)
    for job_id in job_ids:
        hub_connection.finish_job(job_id)
    await asyncio.gather(*tasks)

    assert inspects == []
    assert 3 <= len(listings) <= 7, len(listings)


async def test_a_429_pauses_the_loops_polling_once(
    hub_connection: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    job_ids = start_jobs(hub_connection, JOBS)
    tasks = follow(job_ids, hub_connection.user, poll_interval=0.3)
    await until(lambda: len(stage_requests(hub_connection, 0)[0]) >= 2)  # rounds are running
    caplog.set_level(logging.WARNING)
    hub_connection.inject_fault(status=429, path=LISTING.pattern, method="GET", retry_after=2)
    since = time.time()
    await until(lambda: len(stage_requests(hub_connection, since)[0]) >= 3)
    for job_id in job_ids:
        hub_connection.finish_job(job_id)
    await asyncio.gather(*tasks)

    listings, inspects = stage_requests(hub_connection, since)
    throttled, after = listings[:2]
    assert after["time"] - throttled["time"] >= 1.9  # the whole loop waited out one pause...
    assert not [r for r in inspects if r["time"] < after["time"]]  # ...no Job asked on its own
    said = [r for r in caplog.records if "is throttling" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in said]


async def test_a_low_budget_slows_the_rounds_before_any_429(
    hub_connection: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    job_ids = start_jobs(hub_connection, 3)
    caplog.set_level(logging.WARNING)
    # 10 requests per 20 s: three log streams and a few rounds leave less than a fifth of it.
    hub_connection.configure(rate_limit_quota=10, rate_limit_window=20)
    since = time.time()
    tasks = follow(job_ids, hub_connection.user, poll_interval=0.2)
    await asyncio.sleep(3)  # 15 rounds at the poll interval would need 18 requests
    sent = [r for r in hub_connection.requests() if r["time"] >= since and r["path"].startswith("/api/")]
    hub_connection.configure(rate_limit_quota=None)
    for job_id in job_ids:
        hub_connection.finish_job(job_id)
    await asyncio.gather(*tasks)

    assert len(sent) <= 10, len(sent)  # within the budget: no 429 came
    assert any("budget is low" in r.getMessage() for r in caplog.records)


async def test_a_refused_listing_falls_back_to_inspecting_each_job(
    hub_connection: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    hub_connection.inject_fault(status=403, path=LISTING.pattern, method="GET", count=-1)
    job_ids = start_jobs(hub_connection, 3)
    caplog.set_level(logging.WARNING)
    tasks = follow(job_ids, hub_connection.user, poll_interval=0.3)
    await until(lambda: streams(hub_connection) >= 3)
    since = time.time()
    for job_id in job_ids:
        hub_connection.finish_job(job_id)
    events = await asyncio.gather(*tasks)

    assert [e["status"] for e in events] == ["success"] * 3
    listings, inspects = stage_requests(hub_connection, 0)
    assert len(listings) == 1  # refused once, never asked again
    assert {r["path"].rsplit("/", 1)[1] for r in inspects if r["time"] >= since} == set(job_ids)
    said = [r for r in caplog.records if "refused to list" in r.getMessage()]
    assert len(said) == 1


async def test_a_job_ending_alone_is_inspected_rather_than_a_whole_listing(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With listings of 2 Jobs a page, following 12 Jobs a listing takes 7 pages: one Job's end is
    # checked by inspecting that Job alone, once: not as its stream closes (the stage lags it), but
    # at the first scheduled check after that (1 s), by when the stage has flipped.
    monkeypatch.setattr(stage_poller, "LISTING_PAGE_GUESS", 2)
    hub_connection.configure(stage_lag=0.5)
    job_ids = start_jobs(hub_connection, JOBS)
    tasks = follow(job_ids, hub_connection.user, poll_interval=600)
    await until(lambda: streams(hub_connection) >= JOBS)
    since = time.time()
    hub_connection.finish_job(job_ids[0])
    first = await tasks[0]
    listings, inspects = stage_requests(hub_connection, since)
    for job_id in job_ids[1:]:
        hub_connection.finish_job(job_id)
    await asyncio.gather(*tasks[1:])

    assert first["status"] == "success"
    assert listings == [] and [r["path"].rsplit("/", 1)[1] for r in inspects] == [job_ids[0]]


class _Poller:
    """Stands in for the poller's side of a subscription: records the Jobs asked about."""

    def __init__(self) -> None:
        self.wanted: list[str] = []

    def want(self, job_id: str) -> None:
        self.wanted.append(job_id)


def _state(stage: str) -> JobInfo:
    return JobInfo.from_json({"id": "j1", "status": {"stage": stage}}, endpoint="https://hub")


async def _settles(task: asyncio.Future[Any]) -> bool:
    for _ in range(5):  # a resolved future resumes its waiter within a few loop iterations
        await asyncio.sleep(0)
    return task.done()


async def test_news_of_the_stage_answers_a_reader_waiting_for_a_fresh_round() -> None:
    # A round that started before the reader asked finds the Job ended: the reader takes that news
    # at once rather than waiting for the next round (which would hold back the trigger's event).
    subscription = stage_poller.Subscription(_Poller(), "j1", 60.0)  # type: ignore[arg-type]
    started = time.monotonic()
    read = subscription.reader()
    waiting = asyncio.ensure_future(read(True, None))
    assert not await _settles(waiting)
    subscription.deliver(_state("COMPLETED"), started)
    assert await _settles(waiting) and str(waiting.result().stage) == "COMPLETED"


async def test_a_check_scheduled_for_later_comes_at_once_with_news_of_the_stage() -> None:
    poller = _Poller()
    subscription = stage_poller.Subscription(poller, "j1", 60.0)  # type: ignore[arg-type]
    subscription.deliver(_state("RUNNING"), time.monotonic())
    read = subscription.reader()
    await read(False, None)  # the reader has seen RUNNING
    waiting = asyncio.ensure_future(read(True, time.monotonic() + 600))
    assert not await _settles(waiting) and poller.wanted == []  # no round asked for before its time
    subscription.deliver(_state("ERROR"), time.monotonic())
    assert await _settles(waiting) and str(waiting.result().stage) == "ERROR"
