"""``start_fake_hub``: a background-thread server usable as a context manager."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_hfhub.testing import start_fake_hub


def test_start_and_stop_with_settings() -> None:
    with start_fake_hub(user="bob", token="hf_bob", stage_lag=0) as running:
        assert running.hub.user == "bob" and running.hub.token == "hf_bob"
        assert running.url == running.hub.url
        running.hub.add_job_scenario("hold", hold=True, lines=["x"])
        job = httpx.post(
            f"{running.url}/api/jobs/bob",
            headers={"authorization": "Bearer hf_bob"},
            json={"dockerImage": "x", "command": [], "labels": {"fake-scenario": "hold"}},
        ).json()
        assert job["owner"]["name"] == "bob"
        url = running.url
    assert not running.thread.is_alive()  # stopped despite a held job
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/whoami-v2")
