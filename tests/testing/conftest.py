"""Fixtures for the fake Hub's own tests (``fake_hub`` itself comes from the package's pytest plugin)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from airflow_provider_hfhub.testing import FakeHub


@pytest.fixture
def client(fake_hub: FakeHub) -> Iterator[httpx.Client]:
    """An authenticated raw HTTP client on the fake Hub."""
    with httpx.Client(
        base_url=fake_hub.url, headers={"authorization": f"Bearer {fake_hub.token}"}, timeout=10
    ) as c:
        yield c
