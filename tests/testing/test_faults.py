"""Injected faults, seen on the wire."""

from __future__ import annotations

import time

import httpx
import pytest

from airflow_provider_hfhub.testing import FakeHub

from .fake_hub_helpers import read_events, run_scenario_job


def test_rate_limit_before(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.inject_fault(
        path=r"^/api/jobs/fake-user$", method="POST", status=429, retry_after=3, rate_limit=3
    )
    response = client.post("/api/jobs/fake-user", json={"dockerImage": "x", "command": ["true"]})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.headers["ratelimit"] == '"api";r=0;t=3'
    assert response.headers["x-error-message"] and response.headers["x-request-id"]
    assert response.json()["error"]
    assert fake_hub.jobs() == []
    assert client.get("/api/whoami-v2").status_code == 200  # other paths untouched


def test_status_after_does_the_work(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("hold", hold=True)
    fake_hub.inject_fault(path=r"^/api/jobs/", method="POST", status=502, when="after")
    response = client.post(
        "/api/jobs/fake-user",
        json={"dockerImage": "x", "command": ["true"], "labels": {"fake-scenario": "hold"}},
    )
    assert response.status_code == 502
    assert len(fake_hub.jobs()) == 1  # created, answer lost


@pytest.mark.parametrize(("when", "made"), [("before", 0), ("after", 1)])
def test_reset_cuts_the_connection_without_an_answer(
    fake_hub: FakeHub, client: httpx.Client, when: str, made: int
) -> None:
    fake_hub.add_job_scenario("hold", hold=True)
    fake_hub.inject_fault("reset", path=r"^/api/jobs/", method="POST", when=when)
    with pytest.raises(httpx.ReadError, match="reset"):
        client.post(
            "/api/jobs/fake-user",
            json={"dockerImage": "x", "command": ["true"], "labels": {"fake-scenario": "hold"}},
        )
    assert len(fake_hub.jobs()) == made
    assert client.get("/api/whoami-v2").status_code == 200  # the server serves on


def test_burst_count(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.inject_fault(path="whoami", status=503, count=2)
    codes = [client.get("/api/whoami-v2").status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert fake_hub.faults()[0]["hits"] == 2
    fake_hub.inject_fault(path="whoami", status=500, count=-1)
    fake_hub.clear_faults()
    assert client.get("/api/whoami-v2").status_code == 200


def test_drop_stream_breaks_the_connection(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("hold", lines=["a", "b", "c"], hold=True)
    job = run_scenario_job(client, "hold")
    fake_hub.inject_fault("drop_stream", path=r"/logs$", after_events=2)
    received = []
    url = f"/api/jobs/fake-user/{job['id']}/logs"
    with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", url) as response:  # not a clean EOF
        for line in response.iter_lines():
            if line:
                received.append(line)
    assert len(received) == 2
    assert len(read_events(client, f"/api/jobs/fake-user/{job['id']}/logs", until=4)) == 4  # next one is fine


def test_partial_drop_stream_cuts_an_event_in_two(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("hold", lines=["a", "b" * 40, "c"], hold=True)
    job = run_scenario_job(client, "hold")
    fake_hub.inject_fault("drop_stream", path=r"/logs$", after_events=2, partial=True)
    received = b""
    url = f"/api/jobs/fake-user/{job['id']}/logs"
    with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", url) as response:
        for chunk in response.iter_raw():
            received += chunk
    last = received.rstrip(b"\n").split(b"\n\n")[-1]
    assert last.startswith(b'data: {"data":"bbbb') and not last.endswith(b"}")  # the line is cut
    assert len(read_events(client, url, until=4)) == 4  # the next connection replays it whole


def test_stall_stream_sends_nothing(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(keepalive_interval=0.05)
    fake_hub.add_job_scenario("hold", lines=["a"], hold=True)
    job = run_scenario_job(client, "hold")
    fake_hub.inject_fault("stall_stream", path=r"/logs$", after_events=1, seconds=0.6)
    stamps = []
    started = time.monotonic()
    with client.stream("GET", f"/api/jobs/fake-user/{job['id']}/logs") as response:
        for line in response.iter_lines():
            if line:
                stamps.append((time.monotonic() - started, line))
            if len(stamps) == 3:
                break
    assert stamps[0][1].startswith("data: {") and stamps[0][0] < 0.3
    assert stamps[1][0] >= 0.55  # nothing at all, not even keep-alives, during the stall


def test_stall_stream_trips_a_read_timeout(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("hold", hold=True)
    job = run_scenario_job(client, "hold")
    fake_hub.inject_fault("stall_stream", path=r"/logs$", after_events=0, seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        read_events(client, f"/api/jobs/fake-user/{job['id']}/logs", timeout=0.3)


@pytest.mark.parametrize("when", ["before", "after"])
def test_slow(fake_hub: FakeHub, client: httpx.Client, when: str) -> None:
    fake_hub.inject_fault("slow", path="whoami", seconds=0.4, when=when)
    started = time.monotonic()
    assert client.get("/api/whoami-v2").status_code == 200
    assert time.monotonic() - started >= 0.35
    with pytest.raises(httpx.ReadTimeout):
        fake_hub.inject_fault("slow", path="whoami", seconds=1, when=when)
        client.get("/api/whoami-v2", timeout=0.2)


def test_bad_fault_is_rejected(fake_hub: FakeHub) -> None:
    with pytest.raises(RuntimeError, match="400"):
        fake_hub.inject_fault("explode")
