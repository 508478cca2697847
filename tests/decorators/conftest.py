from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import hub_connection

__all__ = ["hub", "hub_connection"]


@pytest.fixture
def hub(hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """The fake Hub, running each Job's real command: ``uv`` and this interpreter come first on PATH."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return hub_connection
