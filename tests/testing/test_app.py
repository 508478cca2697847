"""Hub-wide behaviour: auth, error shape, request ids, pagination links."""

from __future__ import annotations

import re

import httpx

from airflow_provider_hfhub.testing import FakeHub

from .fake_hub_helpers import run_scenario_job


def test_missing_token(fake_hub: FakeHub) -> None:
    response = httpx.get(f"{fake_hub.url}/api/jobs/fake-user/abc")
    assert response.status_code == 401
    assert response.headers["x-error-message"] == "Invalid credentials in Authorization header"
    assert response.json() == {"error": "Invalid credentials in Authorization header"}
    assert "x-error-code" not in response.headers
    spaces = httpx.get(f"{fake_hub.url}/api/spaces/fake-user/x/runtime")
    assert spaces.status_code == 401 and spaces.headers["x-error-code"] == "RepoNotFound"


def test_request_id_echoes_client_trace(fake_hub: FakeHub, client: httpx.Client) -> None:
    response = client.get("/api/whoami-v2", headers={"x-amzn-trace-id": "abc-123"})
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};abc-123", response.headers["x-request-id"])
    assert httpx.post(f"{fake_hub.url}/_fake/reset").headers["x-request-id"]


def test_unknown_job_and_bad_body(fake_hub: FakeHub, client: httpx.Client) -> None:
    assert client.get("/api/jobs/fake-user/" + "0" * 24).status_code == 404
    response = client.post("/api/jobs/fake-user", content=b"not json")
    assert response.status_code == 400 and response.headers["x-error-message"]
    assert client.post("/api/jobs/fake-user", json={"command": ["x"]}).status_code == 400


def test_job_json_shape(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("s")
    job = run_scenario_job(client, "s", expose={"ports": [8000]}, ssh={"enabled": True})
    assert re.fullmatch(r"[0-9a-f]{24}", job["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", job["createdAt"])
    assert job["owner"] == {"id": job["owner"]["id"], "name": "fake-user", "type": "user"}
    assert job["initiator"]["type"] == "user"
    assert job["status"]["exposeUrls"] == [f"https://{job['id']}--8000.hf.jobs"]
    assert job["status"]["sshUrl"].startswith("ssh://")


def test_pagination_link_keeps_filters(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(page_size=1)
    fake_hub.add_job_scenario("hold", hold=True)
    for _ in range(2):
        run_scenario_job(client, "hold")
    first = client.get("/api/jobs/fake-user", params={"stage": "RUNNING"})
    assert len(first.json()) == 1
    nxt = first.links["next"]["url"]
    assert nxt.startswith(fake_hub.url) and "stage=RUNNING" in nxt
    second = client.get(nxt)
    assert len(second.json()) == 1 and "link" not in second.headers


def test_metrics_406_when_finished(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(stage_lag=0)
    fake_hub.add_job_scenario("s")
    job = run_scenario_job(client, "s")
    fake_hub.wait_for_job_stage(job["id"], "COMPLETED")
    assert client.get(f"/api/jobs/fake-user/{job['id']}/metrics").status_code == 406
