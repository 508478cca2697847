"""Shared test settings: Airflow runs without a metadata DB, connections come from the environment."""

from __future__ import annotations

import os

os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
