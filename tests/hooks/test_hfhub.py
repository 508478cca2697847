"""HfHubHook: connection -> client, async lookup for triggers, provider registration."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowNotFoundException
from huggingface_hub import HfApi

from airflow_provider_hfhub.hooks.hfhub import HfHubHook, endpoint_from, shared_async_client
from airflow_provider_hfhub.hub import AuthenticationError
from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task, set_connection
from tests.loopback import CountingServer, closed_port


@pytest.fixture
def hfhub_conn(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> str:
    return set_connection(monkeypatch, "hfhub_test", fake_hub.url, fake_hub.token, namespace="fake-org")


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
    set_connection(monkeypatch, "hfhub_odd", host.format(port=port), fake_hub.token)
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
    set_connection(monkeypatch, "hfhub_ns", fake_hub.url, fake_hub.token, namespace="org/x")
    with pytest.raises(ValueError, match="one user or org name"):
        HfHubHook("hfhub_ns").run_job(image="python:3.12", command=["true"])
    assert fake_hub.requests() == []


def test_test_connection_makes_one_short_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingServer()
    try:
        for port in (closed_port(), counting.port):
            set_connection(monkeypatch, "hfhub_down", f"http://127.0.0.1:{port}", "hf_x")
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
    set_connection(monkeypatch, "hfhub_bad", fake_hub.url, "hf_wrong")
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
    set_connection(monkeypatch, "hfhub_bad2", fake_hub.url, "hf_wrong")
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


# Hook methods that are not Hub calls: the Airflow hook's own surface.
HOOK_SURFACE = {"get_conn", "get_config", "close", "test_connection", "job_url", "space_url"}
# Hub calls that huggingface_hub 2.4's HfApi has no method for, and why they keep their names.
NOT_IN_HFAPI = {
    "default_namespace": "where Jobs land when no namespace is given (HfApi keeps it private)",
    "job_hardware": "one flavor's price from list_jobs_hardware, the list read once per client (hub/cost.py)",
    "duplicate_space": "huggingface_hub 1.x's name and arguments; 2.0 folded it into duplicate_repo",
    "request_space_storage": "huggingface_hub 1.x; removed in 2.0 for volumes, the Hub still serves it",
    "delete_space_storage": "huggingface_hub 1.x; removed in 2.0 for volumes, the Hub still serves it",
}
# HfApi arguments the hook does not offer. ``token`` is left out everywhere: the token is the
# connection's. huggingface_hub is pinned, so an argument a new release adds fails this test until
# the hook takes it or it is listed here.
NOT_OFFERED = {
    "whoami": {"cache"},
    # An interactive shell into a Job's container: nothing a DAG task uses.
    "run_job": {"ssh"},
    "run_uv_job": {"ssh"},
    "list_jobs": {"timeout"},
    "list_scheduled_jobs": {"labels", "timeout"},
    # The provider reads a repo's sha, privacy, host and runtime, and the newest commits' texts.
    "repo_info": {"timeout", "files_metadata", "expand"},
    "space_info": {"timeout", "files_metadata", "expand"},
    "list_repo_commits": {"formatted"},
}  # fmt: skip
# Arguments the hook adds to an HfApi method, and why.
ADDED = {
    # Labels only this task try's Job carries: after an unclear answer to the create, the Job is
    # looked up by them before any resend (hub/flows.py::create), so one try never pays twice.
    "run_job": {"unique_labels"},
    "run_uv_job": {"unique_labels"},
    # Where a follower's stage checks go: the triggerer's shared stage poller (triggers/stage_poller.py).
    "fetch_job_logs": {"stages"},
}
# The async twins the triggers call, at least.
TRIGGER_TWINS = {"ainspect_job", "acancel_job", "aget_space_runtime", "afetch_job_logs", "afetch_space_logs"}
POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _parameters(method: Any) -> list[inspect.Parameter]:
    return list(inspect.signature(method).parameters.values())[1:]  # without self


def _hook_methods() -> dict[str, Any]:
    return {name: m for name, m in vars(HfHubHook).items() if inspect.isfunction(m) and name[0] != "_"}


def _async_twins() -> dict[str, str]:
    """``a<name>`` -> ``<name>``, for every hook method that has an async twin."""
    methods = _hook_methods()
    return {name: name[1:] for name in methods if name.startswith("a") and name[1:] in methods}


def test_hook_methods_take_the_official_clients_names_and_arguments() -> None:
    methods = _hook_methods()
    assert methods.keys() >= HOOK_SURFACE
    hub_calls = methods.keys() - HOOK_SURFACE - _async_twins().keys()
    assert {name for name in hub_calls if not hasattr(HfApi, name)} == NOT_IN_HFAPI.keys()
    differences = []
    for name in sorted(hub_calls - NOT_IN_HFAPI.keys()):
        ours = {p.name: p for p in _parameters(methods[name])}
        theirs = {p.name: p for p in _parameters(getattr(HfApi, name)) if p.name != "token"}
        if ours.keys() - theirs.keys() != ADDED.get(name, set()):
            differences.append(f"{name}: HfApi has no {sorted(ours.keys() - theirs.keys())}")
        if theirs.keys() - ours.keys() != NOT_OFFERED.get(name, set()):
            differences.append(f"{name}: leaves out {sorted(theirs.keys() - ours.keys())}")
        for arg in ours.keys() & theirs.keys():
            mine, api = ours[arg], theirs[arg]
            if (mine.kind, mine.default) != (api.kind, api.default):
                differences.append(f"{name}({arg}): {mine.kind.name}={mine.default!r}, HfApi's {api}")
        # A positional argument means the same in both.
        ours_positional = [p.name for p in ours.values() if p.kind in POSITIONAL]
        theirs_positional = [p.name for p in theirs.values() if p.kind in POSITIONAL]
        if ours_positional != theirs_positional[: len(ours_positional)]:
            differences.append(f"{name}: positional {ours_positional}, HfApi's {theirs_positional}")
    assert differences == []


def test_every_async_twin_takes_the_arguments_of_its_sync_form() -> None:
    methods, twins = _hook_methods(), _async_twins()
    assert twins.keys() >= TRIGGER_TWINS
    for twin, name in twins.items():
        assert inspect.iscoroutinefunction(methods[twin]) or inspect.isasyncgenfunction(methods[twin]), twin
        assert not inspect.iscoroutinefunction(methods[name]), name
        assert [(p.name, p.kind, p.default) for p in _parameters(methods[twin])] == [
            (p.name, p.kind, p.default) for p in _parameters(methods[name])
        ], twin


def test_the_connection_form_hides_the_fields_a_hub_connection_does_not_use() -> None:
    assert HfHubHook.get_ui_field_behaviour()["hidden_fields"] == ["schema", "login"]


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
