"""Job log streams: full replay on every connection, keep-alives, tail, close before the stage flips."""

from __future__ import annotations

import json
import time

import httpx

from airflow_provider_hfhub.testing import FakeHub

from .fake_hub_helpers import read_events, run_scenario_job


def _data(lines: list[str]) -> list[str]:
    return [json.loads(line[len("data: ") :])["data"] for line in lines if line.startswith("data: {")]


def test_event_format_and_headers(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("s", lines=["hello"])
    job = run_scenario_job(client, "s")
    with client.stream("GET", f"/api/jobs/fake-user/{job['id']}/logs") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["date"].endswith("GMT")
        assert response.headers["x-request-id"].startswith("Root=1-")
        body = response.read().decode()
    first, second = body.split("\n\n")[:2]
    started = json.loads(first[len("data: ") :])
    assert started["data"].startswith("===== Job started at ") and started["data"].endswith(" =====")
    assert started["timestamp"].endswith("Z") and len(started["timestamp"]) == 24
    assert json.loads(second[len("data: ") :])["data"] == "hello"


def test_every_connection_replays_from_the_start(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("hold", lines=["a", "b"], hold=True)
    job = run_scenario_job(client, "hold")
    url = f"/api/jobs/fake-user/{job['id']}/logs"
    first = _data(read_events(client, url, until=3))
    second = _data(read_events(client, url, until=3))
    assert first == second and first[1:] == ["a", "b"]


def test_keepalive_comments(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(keepalive_interval=0.05)
    fake_hub.add_job_scenario("hold", hold=True)
    job = run_scenario_job(client, "hold")
    lines = read_events(client, f"/api/jobs/fake-user/{job['id']}/logs", until=3)
    assert lines[0].startswith("data: {") and lines[1:] == [": keep-alive", ": keep-alive"]


def test_tail_sends_started_line_and_last_lines(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("s", lines=["1", "2", "3", "4"])
    job = run_scenario_job(client, "s")
    fake_hub.wait_for_job_stage(job["id"], "COMPLETED")
    lines = _data(read_events(client, f"/api/jobs/fake-user/{job['id']}/logs", params={"tail": 2}))
    assert lines[0].startswith("===== Job started") and lines[1:] == ["3", "4"]


def test_stream_closes_at_work_end_while_stage_lags(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("lag", lines=["last"], stage_lag=1.0)
    job = run_scenario_job(client, "lag")
    assert _data(read_events(client, f"/api/jobs/fake-user/{job['id']}/logs"))[1:] == ["last"]
    assert client.get(f"/api/jobs/fake-user/{job['id']}").json()["status"]["stage"] == "RUNNING"
    done = fake_hub.wait_for_job_stage(job["id"], "COMPLETED")
    assert done["terminal_at"] - done["work_ended_at"] >= 0.9


def test_endless_empty_stream_never_closes(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(keepalive_interval=0.05)
    fake_hub.add_job_scenario(
        "endless", lines=["never shown"], final_stage="ERROR", endless_empty_stream=True, stage_lag=0
    )
    job = run_scenario_job(client, "endless")
    fake_hub.wait_for_job_stage(job["id"], "ERROR")
    lines = read_events(client, f"/api/jobs/fake-user/{job['id']}/logs", until=4)
    assert _data(lines)[0].startswith("===== Job started") and len(_data(lines)) == 1
    assert lines[1:] == [": keep-alive"] * 3


def test_scheduling_job_streams_once_running(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("slow-start", lines=["go"], scheduling_seconds=0.3)
    job = run_scenario_job(client, "slow-start")
    assert job["status"]["stage"] == "SCHEDULING" and "startedAt" not in job
    started = time.monotonic()
    assert _data(read_events(client, f"/api/jobs/fake-user/{job['id']}/logs"))[1:] == ["go"]
    assert time.monotonic() - started >= 0.25
