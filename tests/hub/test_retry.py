"""The retry policy over real HTTP: what is retried, how long it waits, and what never is."""

from __future__ import annotations

import time

import pytest

from airflow_provider_hfhub.hub import (
    AsyncHubClient,
    AuthenticationError,
    HubClient,
    NotFoundError,
    ServerError,
)
from airflow_provider_hfhub.testing import FakeHub

from .conftest import config_for


def _count(fake_hub: FakeHub, method: str, path: str) -> int:
    return sum(1 for r in fake_hub.requests() if r["method"] == method and r["path"] == path)


def test_429_waits_as_long_as_retry_after_says(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.inject_fault(status=429, path="^/api/jobs/hardware$", retry_after=1)
    started = time.monotonic()
    assert client.list_jobs_hardware()
    assert time.monotonic() - started >= 1.0  # the fast policy alone would wait 0.05 s
    assert _count(fake_hub, "GET", "/api/jobs/hardware") == 2


def test_ratelimit_header_is_honoured_without_retry_after(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.inject_fault(status=429, path="^/api/jobs/hardware$", rate_limit=1)
    started = time.monotonic()
    client.list_jobs_hardware()
    assert time.monotonic() - started >= 1.0


def test_503_burst_recovers(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.inject_fault(status=503, path="^/api/whoami-v2$", count=3)
    assert client.whoami()["name"] == fake_hub.user
    assert _count(fake_hub, "GET", "/api/whoami-v2") == 4


def test_5xx_beyond_the_attempt_budget_fails_with_the_hub_message(
    fake_hub: FakeHub, client: HubClient
) -> None:
    fake_hub.inject_fault(status=502, path="^/api/jobs/hardware$", count=10, message="upstream down")
    with pytest.raises(ServerError, match="upstream down"):
        client.list_jobs_hardware()
    assert _count(fake_hub, "GET", "/api/jobs/hardware") == 4


def test_401_fails_at_once_with_a_fix(fake_hub: FakeHub) -> None:
    with (
        HubClient(config_for(fake_hub, token="hf_wrong")) as bad,
        pytest.raises(AuthenticationError) as caught,
    ):
        bad.whoami()
    assert "valid Hugging Face token" in str(caught.value)
    assert "Request ID:" in str(caught.value)
    assert _count(fake_hub, "GET", "/api/whoami-v2") == 1


def test_404_fails_at_once_with_a_fix(fake_hub: FakeHub, client: HubClient) -> None:
    with pytest.raises(NotFoundError, match="Check the id") as caught:
        client.inspect_job(job_id="0" * 24, namespace=fake_hub.user)
    assert caught.value.status_code == 404
    assert _count(fake_hub, "GET", f"/api/jobs/{fake_hub.user}/{'0' * 24}") == 1


def test_job_post_is_not_retried_once_it_may_have_reached_the_hub(
    fake_hub: FakeHub, client: HubClient
) -> None:
    fake_hub.inject_fault(status=500, method="POST", path="^/api/jobs/", when="after")
    with pytest.raises(ServerError):
        client.run_job(image="python:3.12", command=["true"], namespace=fake_hub.user)
    assert len(fake_hub.jobs()) == 1  # created once, the lost answer not retried
    assert _count(fake_hub, "POST", f"/api/jobs/{fake_hub.user}") == 1


@pytest.mark.parametrize("status", [429, 503])
def test_job_post_is_retried_when_it_surely_did_not_reach_the_hub(
    fake_hub: FakeHub, client: HubClient, status: int
) -> None:
    fake_hub.inject_fault(status=status, method="POST", path="^/api/jobs/", when="before", retry_after=0)
    job = client.run_job(image="python:3.12", command=["true"], namespace=fake_hub.user)
    assert [j["id"] for j in fake_hub.jobs()] == [job.id]
    assert _count(fake_hub, "POST", f"/api/jobs/{fake_hub.user}") == 2


def test_connect_error_is_retried_then_reported() -> None:
    from airflow_provider_hfhub.hub import HubConfig, HubTransportError

    from .conftest import FAST_RETRY

    dead = HubClient(HubConfig(endpoint="http://127.0.0.1:9", token="x", retry=FAST_RETRY))
    with dead, pytest.raises(HubTransportError, match="reachable"):
        dead.run_job(image="a", command=["b"], namespace="me")


async def test_async_client_shares_the_policy(fake_hub: FakeHub) -> None:
    fake_hub.inject_fault(status=429, path="^/api/jobs/hardware$", retry_after=1)
    fake_hub.inject_fault(status=503, path="^/api/whoami-v2$", count=2)
    async with AsyncHubClient(config_for(fake_hub)) as client:
        started = time.monotonic()
        assert await client.list_jobs_hardware()
        assert time.monotonic() - started >= 1.0
        assert (await client.whoami())["name"] == fake_hub.user
        with pytest.raises(NotFoundError):
            await client.get_space_runtime("fake-user/missing")
    assert _count(fake_hub, "GET", "/api/whoami-v2") == 3


def test_default_namespace_is_resolved_once(fake_hub: FakeHub, client: HubClient) -> None:
    for _ in range(3):
        client.list_jobs()
    client.run_job(image="python:3.12", command=["true"])
    assert _count(fake_hub, "GET", "/api/whoami-v2") == 1
