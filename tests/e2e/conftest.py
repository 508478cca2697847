"""The end-to-end suite: a real Airflow 3 deployment (separate processes) driving the fake Hub.

One deployment per session (``airflow_e2e``): api-server, scheduler (LocalExecutor, sqlite),
dag-processor and triggerer, plus the fake Hub, all stopped at the end whatever happens.
Every test here carries the ``e2e`` marker: ``pytest -m e2e`` runs them, ``-m "not e2e"`` skips them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_hfhub.testing import FakeHub

from .deployment import AirflowApi, AirflowDeployment, running
from .helpers import DagRuns

E2E_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end scenarios on a real Airflow deployment (slow: minutes, not seconds)"
    )
    config.addinivalue_line(
        "markers", "distributed: e2e scenarios on PostgreSQL, Redis, Celery workers and two triggerers"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def airflow_e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowDeployment]:
    """The session's Airflow deployment; stopped (every process group, by id) even if a test fails."""
    with running(AirflowDeployment(tmp_path_factory.mktemp("airflow-e2e")), "e2e") as deployment:
        yield deployment


@pytest.fixture
def api(airflow_e2e: AirflowDeployment) -> AirflowApi:
    # A scenario that killed the triggerer and failed before restarting it must not break the next one.
    airflow_e2e.ensure_all_running()
    return airflow_e2e.api


@pytest.fixture
def hub(airflow_e2e: AirflowDeployment) -> Iterator[FakeHub]:
    """The deployment's fake Hub, reset (no Jobs, Spaces, scenarios or faults) for each test."""
    handle = FakeHub(airflow_e2e.hub_url, token=airflow_e2e.token)
    handle.reset()
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def dag_runs(api: AirflowApi) -> Iterator[DagRuns]:
    runs = DagRuns(api)
    try:
        yield runs
    finally:
        runs.stop_unfinished()
