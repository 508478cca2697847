"""HfHubHook: connection -> client, async lookup for triggers, provider registration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_hfhub.hooks.hfhub import HfHubHook, endpoint_from, shared_async_client
from airflow_provider_hfhub.hub import AuthenticationError
from airflow_provider_hfhub.testing import FakeHub


@pytest.fixture
def hfhub_conn(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> str:
    conn = {
        "conn_type": "hfhub",
        "host": fake_hub.url,
        "password": fake_hub.token,
        "extra": {"namespace": "fake-org"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_HFHUB_TEST", json.dumps(conn))
    return "hfhub_test"


def test_connection_gives_endpoint_token_and_namespace(fake_hub: FakeHub, hfhub_conn: str) -> None:
    hook = HfHubHook(hfhub_conn)
    config = hook.get_config()
    assert (config.endpoint, config.token, config.namespace) == (fake_hub.url, fake_hub.token, "fake-org")
    assert config.user_agent.startswith("airflow-provider-hfhub/")
    job = hook.run_job(image="python:3.12", command=["true"])
    assert job.owner.name == "fake-org"
    [post] = [r for r in fake_hub.requests() if r["method"] == "POST"]
    assert post["path"] == "/api/jobs/fake-org"
    assert post["headers"]["user-agent"].startswith("airflow-provider-hfhub/")


def test_without_connection_the_environment_is_used(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.setenv("HF_TOKEN", fake_hub.token)
    hook = HfHubHook("hfhub_absent")
    assert hook.whoami()["name"] == fake_hub.user
    assert hook.get_config().namespace is None


def test_test_connection_reports_success_and_failure(
    fake_hub: FakeHub, hfhub_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok, message = HfHubHook(hfhub_conn).test_connection()
    assert ok and fake_hub.user in message
    bad = {"conn_type": "hfhub", "host": fake_hub.url, "password": "hf_wrong"}
    monkeypatch.setenv("AIRFLOW_CONN_HFHUB_BAD", json.dumps(bad))
    ok, message = HfHubHook("hfhub_bad").test_connection()
    assert not ok and "valid Hugging Face token" in message


async def test_async_twins_share_one_client_per_loop(fake_hub: FakeHub, hfhub_conn: str) -> None:
    first, second = HfHubHook(hfhub_conn), HfHubHook(hfhub_conn)
    job = await first.aget_conn()
    assert job is await second.aget_conn()
    assert (await first.awhoami())["name"] == fake_hub.user
    runtime_error = None
    try:
        await second.aget_space_runtime("fake-user/none")
    except Exception as exc:
        runtime_error = exc
    assert type(runtime_error).__name__ == "NotFoundError"
    assert shared_async_client(await first.aget_config()) is job


async def test_async_errors_are_the_hub_errors(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "hfhub", "host": fake_hub.url, "password": "hf_wrong"}
    monkeypatch.setenv("AIRFLOW_CONN_HFHUB_BAD2", json.dumps(conn))
    with pytest.raises(AuthenticationError):
        await HfHubHook("hfhub_bad2").ainspect_job(job_id="0" * 24, namespace="fake-user")


@pytest.mark.parametrize(
    ("host", "port", "schema", "endpoint"),
    [
        (None, None, None, "https://huggingface.co"),
        ("https://hub.example.com/", None, None, "https://hub.example.com"),
        ("hub.example.com", None, None, "https://hub.example.com"),
        ("127.0.0.1", 8080, "http", "http://127.0.0.1:8080"),
    ],
)
def test_endpoint_from_connection_host(
    host: str | None, port: int | None, schema: str | None, endpoint: str
) -> None:
    assert endpoint_from(host, port, schema) == endpoint


def test_hook_methods_mirror_the_client() -> None:
    import inspect

    from airflow_provider_hfhub.hub import HubClient

    assert (
        inspect.signature(HfHubHook.run_job).parameters.keys()
        == inspect.signature(HubClient.run_job).parameters.keys()
    )
    assert HfHubHook.get_ui_field_behaviour()["hidden_fields"] == ["schema", "port", "login"]


def test_airflow_lists_the_provider_and_its_connection_type(tmp_path: Path) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    airflow = str(Path(sys.executable).with_name("airflow"))
    providers = subprocess.run(
        [airflow, "providers", "list"], env=env, capture_output=True, text=True, check=True
    )
    assert "airflow-provider-hfhub" in providers.stdout
    hooks = subprocess.run(
        [airflow, "providers", "hooks"], env=env, capture_output=True, text=True, check=True
    )
    [row] = [line for line in hooks.stdout.splitlines() if line.startswith("hfhub ")]
    assert "airflow_provider_hfhub.hooks.hfhub.HfHubHook" in row and "Hugging Face Hub" in row
