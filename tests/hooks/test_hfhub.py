"""HfHubHook: connection -> client, async lookup for triggers, provider registration."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowNotFoundException

from airflow_provider_hfhub.hooks.hfhub import HfHubHook, endpoint_from, shared_async_client
from airflow_provider_hfhub.hub import AuthenticationError
from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task
from tests.loopback import CountingServer, closed_port


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


def test_without_the_default_connection_the_environment_is_used_and_logged(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_HFHUB_DEFAULT", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.setenv("HF_TOKEN", fake_hub.token)
    hook = HfHubHook()
    assert hook.whoami()["name"] == fake_hub.user
    assert hook.get_config().namespace is None
    logged = capsys.readouterr().out  # Airflow's structlog writes to stdout
    assert f"No connection 'hfhub_default': using the environment, HF_ENDPOINT {fake_hub.url}" in logged
    assert fake_hub.token not in logged


@pytest.mark.parametrize("path", ["sync", "async"])
def test_a_connection_id_that_does_not_exist_is_an_error_not_the_environment(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)  # a fall-back would reach this Hub
    monkeypatch.setenv("HF_TOKEN", fake_hub.token)
    hook = HfHubHook("hfhub_typo")
    with pytest.raises(
        AirflowNotFoundException, match=r"'hfhub_typo' does not exist: create it .*hfhub_default"
    ):
        hook.whoami() if path == "sync" else asyncio.run(hook.awhoami())
    ok, message = hook.test_connection()
    assert not ok and "does not exist" in message
    assert fake_hub.requests() == []


def test_an_operator_with_a_mistyped_connection_id_calls_no_hub(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.setenv("HF_TOKEN", fake_hub.token)
    operator = HfRunJobOperator(
        task_id="t", image="python:3.12", command=["true"], hfhub_conn_id="hfhub_defualt"
    )
    with pytest.raises(AirflowNotFoundException, match="hfhub_defualt"):
        run_task(operator)
    assert fake_hub.requests() == [] and fake_hub.jobs() == []


@pytest.mark.parametrize(
    ("host", "message"),
    [
        (
            "127.0.0.1:{port}",
            "has no scheme: write the Hub URL in full, e.g. https://127.0.0.1:{port} .*http://",
        ),
        ("localhost:{port}", "has no scheme"),
        (
            "http://127.0.0.1:{port}/api",
            "ends in /api: give the Hub's base URL \\(http://127.0.0.1:{port}\\)",
        ),
        ("http://127.0.0.1:{port}/api/", "ends in /api"),
        ("ftp://127.0.0.1:{port}", "is not an http\\(s\\) URL"),
        ("http://127.0.0.1:{port}?x=1", "without credentials, query or fragment"),
        ("http://127.0.0.1:notaport", "is not an http\\(s\\) URL"),
    ],
)
def test_a_hub_endpoint_that_is_not_a_base_url_is_refused_before_any_request(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, host: str, message: str
) -> None:
    port = fake_hub.url.rsplit(":", 1)[1]
    conn = {"conn_type": "hfhub", "host": host.format(port=port), "password": fake_hub.token}
    monkeypatch.setenv("AIRFLOW_CONN_HFHUB_ODD", json.dumps(conn))
    started = time.monotonic()
    with pytest.raises(ValueError, match=message.format(port=port)):
        HfHubHook("hfhub_odd").whoami()
    ok, text = HfHubHook("hfhub_odd").test_connection()
    assert not ok and re.search(message.format(port=port), text)
    assert time.monotonic() - started < 2 and fake_hub.requests() == []


def test_hf_endpoint_is_checked_too(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_HFHUB_DEFAULT", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url + "/api")
    with pytest.raises(ValueError, match="ends in /api"):
        HfHubHook().whoami()
    assert fake_hub.requests() == []


def test_a_namespace_with_a_slash_in_the_connection_is_refused(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = {
        "conn_type": "hfhub",
        "host": fake_hub.url,
        "password": fake_hub.token,
        "extra": {"namespace": "org/x"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_HFHUB_NS", json.dumps(conn))
    with pytest.raises(ValueError, match="one user or org name"):
        HfHubHook("hfhub_ns").run_job(image="python:3.12", command=["true"])
    assert fake_hub.requests() == []


def test_test_connection_makes_one_short_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingServer()
    try:
        for port in (closed_port(), counting.port):
            conn = {"conn_type": "hfhub", "host": f"http://127.0.0.1:{port}", "password": "hf_x"}
            monkeypatch.setenv("AIRFLOW_CONN_HFHUB_DOWN", json.dumps(conn))
            started = time.monotonic()
            ok, message = HfHubHook("hfhub_down").test_connection()
            assert not ok and "did not complete" in message
            assert time.monotonic() - started < 2  # the default policy waits ~15 s between 5 attempts
        assert counting.connections == 1
    finally:
        counting.close()


def test_test_connection_does_not_retry_a_failing_hub(fake_hub: FakeHub, hfhub_conn: str) -> None:
    fake_hub.inject_fault(status=503, path="^/api/whoami-v2$", count=10)
    ok, message = HfHubHook(hfhub_conn).test_connection()
    assert not ok and "503" in message
    assert [r["path"] for r in fake_hub.requests()] == ["/api/whoami-v2"]


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
        ("hub.example.com", None, "https", "https://hub.example.com"),
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
