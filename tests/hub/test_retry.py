"""The retry policy over real HTTP: what is retried, how long it waits, and what never is."""

from __future__ import annotations

import time

import pytest

from airflow_provider_hfhub.hub import (
    AsyncHubClient,
    AuthenticationError,
    HubClient,
    HubTransportError,
    NotFoundError,
    ServerError,
)
from airflow_provider_hfhub.testing import FakeHub

from .conftest import FAST_RETRY, config_for


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


# Answers after which the Hub may have made the Job: the fake Hub processes the request, then
# loses the answer (a status from the Hub or a proxy in front of it, or a reset connection).
LOST_ANSWERS = [("status", 500), ("status", 502), ("status", 503), ("status", 504), ("reset", 0)]
LOST_IDS = ["500", "502", "503", "504", "reset"]
MINE = {"request": "r-1"}


def _lose_job_post(fake_hub: FakeHub, kind: str, status: int, when: str, count: int = 1) -> None:
    fake_hub.inject_fault(kind, method="POST", path="^/api/jobs/", when=when, status=status, count=count)


def _job_traffic(fake_hub: FakeHub) -> list[str]:
    """The POSTs and label lookups of Jobs, in order."""
    traffic = []
    for r in fake_hub.requests():
        if r["method"] == "POST" and r["path"] == f"/api/jobs/{fake_hub.user}":
            traffic.append("create")
        elif r["method"] == "GET" and ["label", "request=r-1"] in r["query"]:
            traffic.append("lookup")
    return traffic


@pytest.mark.parametrize(("kind", "status"), LOST_ANSWERS, ids=LOST_IDS)
def test_lost_answer_to_a_create_finds_the_job_instead_of_sending_it_again(
    fake_hub: FakeHub, client: HubClient, kind: str, status: int
) -> None:
    _lose_job_post(fake_hub, kind, status, when="after")
    job = client.run_job(image="python:3.12", command=["true"], unique_labels=MINE)
    [made] = fake_hub.jobs()
    assert job.id == made["id"] and made["spec"]["labels"]["request"] == "r-1"
    assert _job_traffic(fake_hub) == ["create", "lookup"]


@pytest.mark.parametrize(("kind", "status"), LOST_ANSWERS, ids=LOST_IDS)
def test_create_the_hub_did_not_process_is_sent_again_only_after_a_lookup(
    fake_hub: FakeHub, client: HubClient, kind: str, status: int
) -> None:
    _lose_job_post(fake_hub, kind, status, when="before")
    job = client.run_job(image="python:3.12", command=["true"], unique_labels=MINE)
    assert [j["id"] for j in fake_hub.jobs()] == [job.id]
    assert _job_traffic(fake_hub) == ["create", "lookup", "create"]


@pytest.mark.parametrize(("kind", "status"), LOST_ANSWERS, ids=LOST_IDS)
def test_create_without_unique_labels_is_never_sent_again_after_a_lost_answer(
    fake_hub: FakeHub, client: HubClient, kind: str, status: int
) -> None:
    _lose_job_post(fake_hub, kind, status, when="before")  # not processed, but the client cannot know
    with pytest.raises((ServerError, HubTransportError)):
        client.run_job(image="python:3.12", command=["true"], labels=MINE)
    assert fake_hub.jobs() == [] and _job_traffic(fake_hub) == ["create"]


def test_create_keeps_to_the_one_retry_policy(fake_hub: FakeHub, client: HubClient) -> None:
    _lose_job_post(fake_hub, "status", 502, when="before", count=-1)
    with pytest.raises(ServerError):
        client.run_job(image="python:3.12", command=["true"], unique_labels=MINE)
    # Every failed attempt is followed by a lookup, the last one too (it may have made the Job).
    assert _job_traffic(fake_hub) == ["create", "lookup"] * FAST_RETRY.max_attempts
    assert fake_hub.jobs() == []


def test_timeout_once_sent_is_a_lost_answer(fake_hub: FakeHub) -> None:
    fake_hub.inject_fault("slow", method="POST", path="^/api/jobs/", when="after", seconds=2)
    with HubClient(config_for(fake_hub, timeout=0.5)) as impatient:
        job = impatient.run_job(image="python:3.12", command=["true"], unique_labels=MINE)
    assert [j["id"] for j in fake_hub.jobs()] == [job.id]
    assert _job_traffic(fake_hub) == ["create", "lookup"]


def test_429_on_a_create_is_sent_again_without_a_lookup(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.inject_fault(status=429, method="POST", path="^/api/jobs/", retry_after=0)
    job = client.run_job(image="python:3.12", command=["true"], unique_labels=MINE)
    assert [j["id"] for j in fake_hub.jobs()] == [job.id]
    assert _job_traffic(fake_hub) == ["create", "create"]


async def test_async_client_finds_a_lost_create_too(fake_hub: FakeHub) -> None:
    _lose_job_post(fake_hub, "reset", 0, when="after")
    async with AsyncHubClient(config_for(fake_hub)) as client:
        job = await client.run_job(image="python:3.12", command=["true"], unique_labels=MINE)
    assert [j["id"] for j in fake_hub.jobs()] == [job.id]
    assert _job_traffic(fake_hub) == ["create", "lookup"]


def test_connect_error_is_retried_then_reported() -> None:
    from airflow_provider_hfhub.hub import HubConfig

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
