"""The fake Hub's prices, its GPU metrics, and the pages behind the Airflow UI's links."""

from __future__ import annotations

import json

import httpx
import pytest

from airflow_provider_hfhub.hub import HubClient
from airflow_provider_hfhub.testing import FakeHub

from .fake_hub_helpers import read_events, run_scenario_job


def test_flavors_are_priced_as_the_hubs_pricing_page(fake_hub: FakeHub) -> None:
    hardware = {h["name"]: h for h in httpx.get(f"{fake_hub.url}/api/jobs/hardware").json()}
    # https://huggingface.co/docs/hub/jobs-pricing: hourly prices; the endpoint prices per minute.
    for name, hourly in [("cpu-basic", 0.01), ("a10g-small", 1.00), ("h200x8", 40.0), ("l40sx8", 23.5)]:
        assert hardware[name]["unitLabel"] == "minute"
        assert hardware[name]["unitCostMicroUSD"] == round(hourly * 1e6 / 60)
        assert hardware[name]["unitCostUSD"] == hardware[name]["unitCostMicroUSD"] / 1e6
    assert hardware["cpu-basic"]["unitCostMicroUSD"] == 167  # the real Hub's figure (docs/hub-api.md)
    assert hardware["a10g-largex2"]["accelerator"]["quantity"] == "2"


def _first_sample(client: httpx.Client, job_id: str) -> dict[str, object]:
    lines = read_events(client, f"/api/jobs/fake-user/{job_id}/metrics", until=2)
    assert lines[0] == "event: metric"
    sample: dict[str, object] = json.loads(lines[1].removeprefix("data: "))
    return sample


@pytest.mark.parametrize(("flavor", "count"), [("cpu-upgrade", 0), ("t4-small", 1), ("a10g-largex2", 2)])
def test_metrics_carry_one_entry_per_gpu_of_the_flavor(
    fake_hub: FakeHub, client: httpx.Client, flavor: str, count: int
) -> None:
    fake_hub.configure(metrics_interval=0.05)
    fake_hub.add_job_scenario("held", hold=True, gpu_utilization=3)
    job = run_scenario_job(client, "held", flavor=flavor)
    fake_hub.wait_for_job_stage(job["id"], "RUNNING")
    gpus = _first_sample(client, job["id"])["gpus"]
    assert isinstance(gpus, dict) and len(gpus) == count
    for gpu in gpus.values():
        assert gpu["utilization"] == 3
        assert 0 < gpu["memory_used_bytes"] <= gpu["memory_total_bytes"]
    fake_hub.finish_job(job["id"], "COMPLETED")


def test_job_and_space_links_lead_to_a_page(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("done", lines=["epoch 1 <loss> 0.5", "saved"])
    job = run_scenario_job(client, "done", flavor="t4-small")
    fake_hub.wait_for_job_stage(job["id"], "COMPLETED")
    page = httpx.get(f"{fake_hub.url}/jobs/fake-user/{job['id']}")  # a browser sends no token
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for text in ("COMPLETED", "t4-small", "epoch 1 &lt;loss&gt; 0.5", "saved"):
        assert text in page.text
    assert httpx.get(f"{fake_hub.url}/jobs/fake-user/{'0' * 24}").status_code == 404

    fake_hub.add_space("fake-user/app", run_lines=["Running on local URL: http://0.0.0.0:7860"])
    space = httpx.get(f"{fake_hub.url}/spaces/fake-user/app")
    assert space.status_code == 200
    assert "RUNNING" in space.text and "cpu-basic" in space.text and "Running on local URL" in space.text
    assert httpx.get(f"{fake_hub.url}/spaces/fake-user/none").status_code == 404


def test_job_hardware_is_read_once_per_client(fake_hub: FakeHub) -> None:
    with _client(fake_hub) as hub:
        assert hub.job_hardware("a10g-small").unit_cost_usd == 0.016667  # type: ignore[union-attr]
        assert hub.job_hardware("h200") is not None and hub.job_hardware("no-such") is None
    assert len(fake_hub.requests("/api/jobs/hardware")) == 1


def _client(fake_hub: FakeHub) -> HubClient:
    from airflow_provider_hfhub.hub import HubConfig

    return HubClient(HubConfig(endpoint=fake_hub.url, token=fake_hub.token))
