"""A Space's build log over real HTTP: drops, stalls and malformed events lose and double nothing."""

from __future__ import annotations

from airflow_provider_hfhub.hub import HubClient
from airflow_provider_hfhub.hub.config import StreamPolicy
from airflow_provider_hfhub.testing import FakeHub

from .conftest import config_for

SPACE = "fake-user/build-logs"
LINES = [f"Step {i}/12 : RUN pip install pkg{i}" for i in range(12)]


def _build(fake_hub: FakeHub) -> None:
    fake_hub.add_space(SPACE, stage="BUILDING", build_lines=LINES, line_interval=0.02, build_seconds=0.5)


def _texts(client: HubClient) -> list[str]:
    return [line.text for line in client.fetch_space_logs(SPACE, build=True, follow=True)]


def test_repeated_drops_of_a_build_log_lose_and_double_nothing(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.inject_fault("drop_stream", path="/logs/build$", after_events=3, count=3)
    _build(fake_hub)
    assert _texts(client) == LINES
    assert sum(r["path"].endswith("/logs/build") for r in fake_hub.requests()) == 4


def test_a_malformed_build_event_is_skipped(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.inject_fault("malformed_event", path="/logs/build$", after_events=2, count=1)
    _build(fake_hub)
    assert _texts(client) == LINES


def test_a_stalled_build_log_is_reopened(fake_hub: FakeHub) -> None:
    fake_hub.inject_fault("stall_stream", path="/logs/build$", after_events=3, seconds=30)
    _build(fake_hub)
    with HubClient(config_for(fake_hub, stream=StreamPolicy(read_timeout=1.0))) as client:
        assert _texts(client) == LINES
