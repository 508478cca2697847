"""A fake Hugging Face Hub (Jobs and Spaces API) served over HTTP on loopback, for tests and demos.

No Airflow import here, and nothing from ``airflow_provider_hfhub.hub``: the fake must stay
independent of the client it tests.
"""

from __future__ import annotations

from .admin import FakeHub
from .app import create_app
from .server import RunningFakeHub, start_fake_hub

__all__ = ["FakeHub", "RunningFakeHub", "create_app", "start_fake_hub"]
