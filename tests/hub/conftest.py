from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_hfhub.hub import HubClient, HubConfig, RetryPolicy, StreamPolicy
from airflow_provider_hfhub.testing import FakeHub

# Short waits keep the suite fast; the behaviour under test is the same.
FAST_RETRY = RetryPolicy(max_attempts=4, initial_wait=0.05, max_wait=0.2, max_total_wait=10)
FAST_STREAM = StreamPolicy(
    stage_checks_after_end=(0.0, 0.1, 0.3, 0.7, 1.5),
    backstop_interval=1.0,
    read_timeout=5.0,
    idle_timeout=1.0,
)


def config_for(fake_hub: FakeHub, **overrides: object) -> HubConfig:
    settings: dict[str, object] = {
        "endpoint": fake_hub.url,
        "token": fake_hub.token,
        "retry": FAST_RETRY,
        "stream": FAST_STREAM,
    }
    settings.update(overrides)
    return HubConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
def client(fake_hub: FakeHub) -> Iterator[HubClient]:
    with HubClient(config_for(fake_hub)) as hub_client:
        yield hub_client
