"""Space state machine: restart, errors, stale RUNNING, hardware switch lag, sleep, pause."""

from __future__ import annotations

import json

import httpx
import pytest

from airflow_provider_hfhub.testing import FakeHub

from .fake_hub_helpers import read_events, wait_until

SPACE = "fake-user/app"


def _runtime(client: httpx.Client) -> dict:
    response = client.get(f"/api/spaces/{SPACE}/runtime")
    assert response.status_code == 200, response.text
    return response.json()


def _log(client: httpx.Client, kind: str) -> list[str]:
    lines = read_events(client, f"/api/spaces/{SPACE}/logs/{kind}")
    return [json.loads(line[6:])["data"] for line in lines if line.startswith("data: {")]


def test_restart_to_running_with_logs(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_space(SPACE, build_lines=["b1", "b2"], run_lines=["r1"])
    assert client.post(f"/api/spaces/{SPACE}/restart").json()["stage"] == "BUILDING"
    assert _log(client, "build") == ["b1\n", "b2\n"]
    wait_until(lambda: _runtime(client)["stage"] == "RUNNING")
    runtime = _runtime(client)
    assert "errorMessage" not in runtime
    # Only keys the real runtime has (docs/hub-api.md#space-runtime): no build id; ``sha`` is the
    # commit the run was built from (docs/hub-api.md#space-deploys).
    assert set(runtime) <= {"stage", "hardware", "storage", "gcTimeout", "replicas", "devMode", "domains", "sdk",
                            "volumes", "errorMessage", "sdkVersion", "resources", "hotReloading", "sha"}  # fmt: skip
    state = fake_hub.space_state(SPACE)
    assert state["run_log"] == ["r1"] and state["build_id"] == 2


@pytest.mark.parametrize(
    ("outcome", "log", "line", "message"),
    [("BUILD_ERROR", "build", "compiling", "pip failed"), ("RUNTIME_ERROR", "run", "starting", "crash")],
)
def test_error_stage_says_why_in_runtime_and_log(
    fake_hub: FakeHub, client: httpx.Client, outcome: str, log: str, line: str, message: str
) -> None:
    fake_hub.add_space(SPACE, **{f"{log}_lines": [line]}, outcome=outcome, error_message=message)
    client.post(f"/api/spaces/{SPACE}/restart")
    wait_until(lambda: _runtime(client)["stage"] == outcome)
    assert _runtime(client)["errorMessage"] == message
    assert _log(client, log) == [f"{line}\n", f"{message}\n"]


def test_stale_running_after_restart_then_a_build_stage(fake_hub: FakeHub, client: httpx.Client) -> None:
    # A build quicker than the stale window still shows: the build starts once the old RUNNING ends.
    fake_hub.add_space(SPACE, stale_running_seconds=0.5, build_seconds=0.3)
    assert client.post(f"/api/spaces/{SPACE}/restart").json()["stage"] == "RUNNING"
    assert fake_hub.space_state(SPACE)["stage"] == "BUILDING"
    wait_until(lambda: _runtime(client)["stage"] == "BUILDING", what="stale RUNNING to end")
    wait_until(lambda: _runtime(client)["stage"] == "RUNNING")


def test_hardware_switch_lag(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_space(SPACE, hardware_switch_seconds=0.4)
    runtime = client.post(f"/api/spaces/{SPACE}/hardware", json={"flavor": "a10g-small"}).json()
    assert runtime["hardware"] == {"current": "cpu-basic", "requested": "a10g-small"}
    wait_until(lambda: _runtime(client)["stage"] == "RUNNING")
    assert _runtime(client)["hardware"] == {"current": "a10g-small", "requested": "a10g-small"}
    assert client.post(f"/api/spaces/{SPACE}/hardware", json={"flavor": "gpu-9000"}).status_code == 400


def test_sleeping_and_wake(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_space(SPACE)
    fake_hub.set_space_stage(SPACE, "SLEEPING")
    assert _runtime(client)["stage"] == "SLEEPING" and _runtime(client)["hardware"]["current"] is None
    client.post(f"/api/spaces/{SPACE}/restart")
    wait_until(lambda: _runtime(client)["stage"] == "RUNNING")


def test_pause(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_space(SPACE)
    runtime = client.post(f"/api/spaces/{SPACE}/pause").json()
    assert runtime["stage"] == "PAUSED" and runtime["hardware"]["current"] is None
    assert _log(client, "run") == ["Running on local URL:  http://0.0.0.0:7860\n"]  # closed: replay and end


def test_storage_volumes_sleeptime(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_space(SPACE)
    assert client.delete(f"/api/spaces/{SPACE}/storage").status_code == 400
    assert client.post(f"/api/spaces/{SPACE}/storage", json={"tier": "small"}).json()["storage"] == "small"
    assert client.delete(f"/api/spaces/{SPACE}/storage").json()["storage"] is None
    vol = {"type": "bucket", "source": "fake-user/b", "mountPath": "/data"}
    assert client.put(f"/api/spaces/{SPACE}/volumes", json={"volumes": [vol]}).json()["volumes"] == [vol]
    client.delete(f"/api/spaces/{SPACE}/volumes").raise_for_status()
    assert client.post(f"/api/spaces/{SPACE}/sleeptime", json={"seconds": -1}).json()["gcTimeout"] == -1


def test_run_log_keepalive_is_empty_data(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(keepalive_interval=0.05)
    fake_hub.add_space(SPACE, run_lines=[])
    assert read_events(client, f"/api/spaces/{SPACE}/logs/run", until=2) == ["data:", "data:"]


def test_unknown_space(fake_hub: FakeHub, client: httpx.Client) -> None:
    response = client.get("/api/spaces/fake-user/nope/runtime")
    assert response.status_code == 404
    assert response.headers["x-error-code"] == "RepoNotFound"
