"""Log and metric streams over real HTTP: order, no loss, no doubles, and stage-driven ends."""

from __future__ import annotations

import dataclasses
import time

import pytest

from airflow_provider_hfhub.hub import AsyncHubClient, HubClient, JobStage
from airflow_provider_hfhub.hub.config import StreamPolicy
from airflow_provider_hfhub.testing import FakeHub
from tests.testing.fake_hub_helpers import wait_until

from .conftest import FAST_STREAM, config_for

LINES = [f"step {i}" for i in range(12)]


def _job(fake_hub: FakeHub, client: HubClient, scenario: str, **options: object) -> str:
    fake_hub.add_job_scenario(scenario, **options)  # type: ignore[arg-type]
    return client.run_job(image="python:3.12", command=["train"], labels={"fake-scenario": scenario}).id


def _texts(client: HubClient, job_id: str, **kwargs: object) -> list[str]:
    return [line.text for line in client.fetch_job_logs(job_id=job_id, **kwargs)]  # type: ignore[arg-type]


def test_follow_delivers_every_line_once_and_ends_when_the_stage_is_terminal(
    fake_hub: FakeHub, client: HubClient
) -> None:
    job_id = _job(fake_hub, client, "lagging", lines=LINES, line_interval=0.01, stage_lag=0.6)
    assert _texts(client, job_id, follow=True) == LINES
    assert client.inspect_job(job_id=job_id).stage is JobStage.COMPLETED  # the end waited out the lag


def test_dropped_stream_reconnects_without_losing_or_doubling(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.inject_fault("drop_stream", path="/logs$", after_events=4, count=2)
    job_id = _job(fake_hub, client, "dropped", lines=LINES, line_interval=0.02)
    assert _texts(client, job_id, follow=True) == LINES
    assert sum(r["path"].endswith("/logs") for r in fake_hub.requests()) >= 3


def test_malformed_event_is_skipped_not_fatal(
    fake_hub: FakeHub, client: HubClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake_hub.inject_fault("malformed_event", path="/logs$", after_events=3, count=-1)
    job_id = _job(fake_hub, client, "malformed", lines=LINES, line_interval=0.01)
    assert _texts(client, job_id, follow=True) == LINES
    assert "malformed event" in caplog.text


def test_stalled_stream_is_reopened(fake_hub: FakeHub) -> None:
    stream = StreamPolicy(stage_checks_after_end=(0.0, 0.2), backstop_interval=0.5, read_timeout=1.0)
    fake_hub.inject_fault("stall_stream", path="/logs$", after_events=3, seconds=30)
    with HubClient(config_for(fake_hub, stream=stream)) as client:
        job_id = _job(fake_hub, client, "stalled", lines=LINES, line_interval=0.05)
        assert _texts(client, job_id, follow=True) == LINES


def test_endless_empty_stream_still_ends_by_the_backstop(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.configure(keepalive_interval=0.2)
    # The Hub's failure mode: only the "Job started" line, then keep-alives forever, even after the end.
    job_id = _job(fake_hub, client, "endless", lines=LINES[:2], endless_empty_stream=True, stage_lag=0.1)
    started = time.monotonic()
    assert _texts(client, job_id, follow=True) == []
    assert time.monotonic() - started < 10
    assert client.inspect_job(job_id=job_id).stage is JobStage.COMPLETED


def test_without_follow_the_current_log_is_returned(fake_hub: FakeHub, client: HubClient) -> None:
    job_id = _job(fake_hub, client, "held", lines=LINES[:3], hold=True)
    # The stored log starts with the Hub's "Job started" banner, which the client leaves out.
    wait_until(lambda: fake_hub.job(job_id)["log"][1:] == LINES[:3], what="the Job to have logged 3 lines")
    assert _texts(client, job_id) == LINES[:3]
    assert _texts(client, job_id, tail=1) == LINES[2:3]
    fake_hub.finish_job(job_id, "COMPLETED")


def test_unknown_final_stage_passes_through(fake_hub: FakeHub, client: HubClient) -> None:
    job_id = _job(fake_hub, client, "held2", lines=["x"], hold=True)
    fake_hub.finish_job(job_id, "ARCHIVED")
    fake_hub.wait_for_job_stage(job_id, "ARCHIVED")
    job = client.inspect_job(job_id=job_id)
    assert job.stage == "ARCHIVED" and not job.stage.is_terminal


def test_metrics_give_a_sample_then_stop_once_the_job_is_over(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.configure(metrics_interval=0.05)
    job_id = _job(fake_hub, client, "metrics", lines=["x"], hold=True)
    fake_hub.wait_for_job_stage(job_id, "RUNNING")
    [sample] = list(client.fetch_job_metrics(job_id=job_id))
    assert "cpu_usage_pct" in sample
    fake_hub.finish_job(job_id, "COMPLETED")
    fake_hub.wait_for_job_stage(job_id, "COMPLETED")
    assert list(client.fetch_job_metrics(job_id=job_id, follow=True)) == []


def test_space_build_log_follow_ends_with_the_build(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.add_space(
        f"{fake_hub.user}/demo", build_lines=["b1", "b2", "b3"], run_lines=["r1"], line_interval=0.02
    )
    client.restart_space(f"{fake_hub.user}/demo")
    build = [line.text for line in client.fetch_space_logs(f"{fake_hub.user}/demo", build=True, follow=True)]
    assert build == ["b1", "b2", "b3"]


async def test_async_follow_survives_drops_like_the_sync_one(fake_hub: FakeHub) -> None:
    fake_hub.inject_fault("drop_stream", path="/logs$", after_events=5, count=1)
    fake_hub.add_job_scenario("async-dropped", lines=LINES, line_interval=0.02, stage_lag=0.3)
    async with AsyncHubClient(config_for(fake_hub)) as client:
        job = await client.run_job(
            image="python:3.12", command=["t"], labels={"fake-scenario": "async-dropped"}
        )
        texts = [line.text async for line in client.fetch_job_logs(job_id=job.id, follow=True)]
        assert texts == LINES
        assert (await client.inspect_job(job_id=job.id)).stage is JobStage.COMPLETED


def test_consumer_can_stop_early_and_the_stream_is_closed(fake_hub: FakeHub) -> None:
    # A read timeout far beyond the wait below: the connection must end when the consumer stops,
    # not when the reader's blocked read gives up.
    stream = dataclasses.replace(FAST_STREAM, read_timeout=60.0)
    with HubClient(config_for(fake_hub, stream=stream)) as client:
        job_id = _job(fake_hub, client, "early", lines=LINES, hold=True)
        logs = f"/api/jobs/{fake_hub.user}/{job_id}/logs"
        lines = client.fetch_job_logs(job_id=job_id, follow=True)
        assert next(iter(lines)).text == LINES[0]
        assert fake_hub.open_streams(logs) == [{"method": "GET", "path": logs}]
        lines.close()  # type: ignore[attr-defined]
        # The Job is held, so the Hub keeps the stream open: only the client can end it.
        wait_until(lambda: not fake_hub.open_streams(logs), timeout=5, what="the log stream to be closed")
        fake_hub.finish_job(job_id, "COMPLETED")
