"""Shared test settings: Airflow runs without a metadata DB, connections come from the environment."""

from __future__ import annotations

import os

os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
# Triggers hold an event that comes within seconds of the deferral (an Airflow race, see
# triggers/base.py); unit tests have no scheduler to race with. The e2e deployment keeps the hold.
os.environ.setdefault("AIRFLOW__HFHUB__EARLY_EVENT_HOLD_SECONDS", "0")
# A Fernet key, as every production deployment has: Job secrets reach the triggerer's masker sealed
# with it (triggers/sealed.py). A fixed test key, never used anywhere else.
os.environ.setdefault("AIRFLOW__CORE__FERNET_KEY", "zp8kV516l9tKzqq9pJ2Y6cXbM1bSIUw7FPRHx2PVcXo=")
