"""The admin API and the ``FakeHub`` handle: request log, jobs report, config, reset."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_hfhub.testing import FakeHub

from .fake_hub_helpers import run_scenario_job, wait_until


def test_request_log(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("s")
    run_scenario_job(client, "s")
    httpx.get(f"{fake_hub.url}/api/jobs/fake-user", params=[("stage", "RUNNING"), ("label", "a=b")])
    post, anonymous = fake_hub.requests("/api/jobs")
    assert post["method"] == "POST" and post["json"]["labels"] == {"fake-scenario": "s"}
    assert post["auth_ok"] is True and "authorization" not in post["headers"]
    assert anonymous["auth_ok"] is False and anonymous["query"] == [["stage", "RUNNING"], ["label", "a=b"]]
    assert all(not r["path"].startswith("/_fake") for r in fake_hub.requests())
    fake_hub.clear_requests()
    assert fake_hub.requests() == []


def test_jobs_report(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(stage_lag=0.1)
    fake_hub.add_job_scenario("s", lines=["x"])
    job = run_scenario_job(client, "s", environment={"K": "V"})
    report = fake_hub.wait_for_job_stage(job["id"], "COMPLETED")
    assert report["spec"]["environment"] == {"K": "V"} and report["scenario"] == "s"
    assert report["created_at"] <= report["work_ended_at"] < report["terminal_at"]
    assert report["log"][1:] == ["x"]


def test_configure_and_reset(fake_hub: FakeHub, client: httpx.Client) -> None:
    config = fake_hub.configure(user="alice", token="hf_alice", orgs=["team"])
    assert config["user"] == "alice" and fake_hub.token == "hf_alice"
    assert client.get("/api/whoami-v2").status_code == 401  # old token
    me = httpx.get(f"{fake_hub.url}/api/whoami-v2", headers={"authorization": "Bearer hf_alice"}).json()
    assert me["name"] == "alice" and me["orgs"][0]["name"] == "team"
    fake_hub.reset()
    assert fake_hub.user == "fake-user" and fake_hub.token == "hf_fake_token"
    with pytest.raises(RuntimeError, match="unknown settings"):
        fake_hub.configure(colour="blue")


def test_wait_for_job_stage_times_out(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("hold", hold=True)
    job = run_scenario_job(client, "hold")
    with pytest.raises(TimeoutError):
        fake_hub.wait_for_job_stage(job["id"], "COMPLETED", timeout=0.1)


def test_open_streams_lists_a_stream_until_its_client_disconnects(
    fake_hub: FakeHub, client: httpx.Client
) -> None:
    fake_hub.add_job_scenario("hold", lines=["x"], hold=True)
    job = run_scenario_job(client, "hold")
    logs = f"/api/jobs/fake-user/{job['id']}/logs"
    with client.stream("GET", logs) as response:
        assert response.status_code == 200
        assert fake_hub.open_streams() == [{"method": "GET", "path": logs}]
        assert fake_hub.open_streams("/api/spaces") == []
    wait_until(lambda: fake_hub.open_streams() == [], what="the fake to see the disconnect")
