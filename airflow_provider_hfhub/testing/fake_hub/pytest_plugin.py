"""pytest fixtures for the fake Hub, registered through the ``pytest11`` entry point.

* ``fake_hub_server`` (session): one fake Hub per test session, served from a thread.
* ``fake_hub`` (function): its :class:`FakeHub` handle, reset so each test starts clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # keep plugin import cheap: every pytest session in the venv loads it
    from .admin import FakeHub
    from .server import RunningFakeHub


@pytest.fixture(scope="session")
def fake_hub_server() -> Iterator[RunningFakeHub]:
    """Start one fake Hub for the whole session and stop it at the end."""
    from .server import start_fake_hub

    running = start_fake_hub()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def fake_hub(fake_hub_server: RunningFakeHub) -> FakeHub:
    """Return the session's fake Hub, reset to its start settings with no Jobs, Spaces or faults."""
    fake_hub_server.hub.reset()
    return fake_hub_server.hub
