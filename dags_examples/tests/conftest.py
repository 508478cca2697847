"""Airflow for DAG tests: a scratch ``AIRFLOW_HOME`` with its own SQLite metadata DB.

``dag.test()`` records its run in Airflow's metadata DB, so the environment is set before anything
imports Airflow (Airflow reads it once, at import) and the DB is created once per session. Copy
this file next to your own DAG tests and set ``DAGS_FOLDER`` to your DAGs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

DAGS_FOLDER = Path(__file__).resolve().parents[1]
AIRFLOW_HOME = tempfile.mkdtemp(prefix="airflow-home-")
os.environ["AIRFLOW_HOME"] = AIRFLOW_HOME
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Create the metadata DB in the scratch ``AIRFLOW_HOME``, once per session."""
    from airflow.utils.db import initdb

    initdb()


def pytest_unconfigure() -> None:
    """Remove the scratch ``AIRFLOW_HOME`` when the session ends."""
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)
