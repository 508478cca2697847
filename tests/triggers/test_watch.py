"""The watch loop: cancellation goes through, and leaves no connection open."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from airflow_provider_hfhub.hooks.hfhub import HfHubHook
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.job_watch import JobWatch, watch_job
from airflow_provider_hfhub.triggers.watch import stop


async def test_stop_does_not_swallow_a_cancel_aimed_at_the_caller() -> None:
    release = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await release.wait()  # still cleaning up when its parent is cancelled

    child = asyncio.ensure_future(slow_to_stop())
    await asyncio.sleep(0)  # let the child start
    caller = asyncio.ensure_future(stop(child))
    await asyncio.sleep(0)  # the caller now waits for the child
    caller.cancel()
    try:
        with pytest.raises(asyncio.CancelledError):
            await caller
    finally:
        release.set()
        await asyncio.wait({child})
    assert child.cancelled()


async def test_a_cancelled_watch_stops_and_leaves_no_stream_open(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("held", lines=["working"], hold=True)
    hook = HfHubHook()
    job = await asyncio.to_thread(
        HfHubHook().run_job, image="python:3.12", command=["x"], labels={"fake-scenario": "held"}
    )
    log = logging.getLogger("test")
    watch = asyncio.ensure_future(watch_job(hook, JobWatch(job_id=job.id, namespace=job.owner.name), log))
    await asyncio.to_thread(_wait_until, lambda: hub_connection.open_streams("/api/jobs"))
    watch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await watch
    await asyncio.to_thread(_wait_until, lambda: not hub_connection.open_streams("/api/jobs"))
    hub_connection.finish_job(job.id)


def _wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.02)
