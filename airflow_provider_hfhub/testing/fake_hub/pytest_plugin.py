"""pytest fixtures for the fake Hub, registered through the ``pytest11`` entry point.

* ``fake_hub_server`` (session): one fake Hub per test session, served from a thread.
* ``fake_hub`` (function): its :class:`FakeHub` handle, reset so each test starts clean.
* ``fake_hub_connection`` (function): the same, with Airflow's ``hfhub_default`` connection pointing
  at it for the test's duration, so DAGs run by ``dag.test()`` talk to the fake Hub.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

# Airflow reads AIRFLOW_CONN_<ID> and AIRFLOW__<SECTION>__<KEY> at each lookup, so setting them for a
# test is enough (Airflow's EnvironmentVariablesBackend and configuration).
CONNECTION_ENV = "AIRFLOW_CONN_HFHUB_DEFAULT"
# The trigger holds an early event against a scheduler race (triggers/base.py); dag.test() runs the
# trigger inline with no scheduler, so the hold would only add up to 30 s to each deferred task.
EARLY_EVENT_HOLD_ENV = "AIRFLOW__HFHUB__EARLY_EVENT_HOLD_SECONDS"

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


@pytest.fixture
def fake_hub_connection(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """Point ``hfhub_default`` at the fake Hub (and hold no trigger event) until the test ends.

    Both are environment variables, restored afterwards; a connection of that id in your metadata
    DB or secrets backend is shadowed meanwhile (Airflow looks in the environment first).
    """
    monkeypatch.setenv(CONNECTION_ENV, fake_hub.airflow_connection())
    monkeypatch.setenv(EARLY_EVENT_HOLD_ENV, "0")
    return fake_hub
