"""The pytest plugin's fixtures as a user's test session gets them (an inner session, in process)."""

from __future__ import annotations

import json
import os

import pytest

from airflow_provider_hfhub.testing import FakeHub

pytest_plugins = ["pytester"]

USER_TEST = """
import json, os

def test_dag_side(fake_hub_connection):
    conn = json.loads(os.environ["AIRFLOW_CONN_HFHUB_DEFAULT"])
    assert conn == {"conn_type": "hfhub", "host": fake_hub_connection.url, "password": fake_hub_connection.token}
    assert os.environ["AIRFLOW__HFHUB__EARLY_EVENT_HOLD_SECONDS"] == "0"
    assert fake_hub_connection.url.startswith("http://127.0.0.1:")
"""


def test_fake_hub_connection_points_hfhub_default_at_the_fake_hub_then_restores_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = json.dumps({"conn_type": "hfhub", "password": "hf_my_real_token"})
    monkeypatch.setenv("AIRFLOW_CONN_HFHUB_DEFAULT", mine)
    monkeypatch.delenv("AIRFLOW__HFHUB__EARLY_EVENT_HOLD_SECONDS", raising=False)
    pytester.makepyfile(test_user=USER_TEST)

    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio").assert_outcomes(passed=1)

    assert os.environ["AIRFLOW_CONN_HFHUB_DEFAULT"] == mine
    assert "AIRFLOW__HFHUB__EARLY_EVENT_HOLD_SECONDS" not in os.environ


def test_airflow_connection_carries_the_extras(fake_hub: FakeHub) -> None:
    assert json.loads(fake_hub.airflow_connection(namespace="fake-org")) == {
        "conn_type": "hfhub",
        "host": fake_hub.url,
        "password": fake_hub.token,
        "extra": {"namespace": "fake-org"},
    }
