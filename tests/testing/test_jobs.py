"""Jobs run as local processes (the demo path) and scenario selection."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime

import httpx

from airflow_provider_hfhub.testing import FakeHub, RunningFakeHub

from .fake_hub_helpers import read_events, wait_until


def _run(client: httpx.Client, command: list[str], **spec: object) -> dict:
    response = client.post(
        "/api/jobs/fake-user", json={"dockerImage": "python:3.12", "command": command, **spec}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _log(client: httpx.Client, job_id: str) -> list[str]:
    import json

    return [
        json.loads(line[6:])["data"] for line in read_events(client, f"/api/jobs/fake-user/{job_id}/logs")
    ]


def test_process_exit_zero(fake_hub: FakeHub, client: httpx.Client) -> None:
    code = "import os; print('hello', os.environ['A'], os.environ['S']); print('bye')"
    job = _run(client, ["python", "-c", code], environment={"A": "1"}, secrets={"S": "hidden"})
    assert job["status"]["stage"] == "RUNNING"
    assert job["secrets"] == {"S": ""}
    assert _log(client, job["id"])[1:] == ["hello 1 hidden", "bye"]
    done = fake_hub.wait_for_job_stage(job["id"], "COMPLETED")
    assert done["exit_code"] == 0


def test_process_exit_one(fake_hub: FakeHub, client: httpx.Client) -> None:
    job = _run(client, ["python3", "-c", "import sys; print('oops', file=sys.stderr); sys.exit(1)"])
    assert _log(client, job["id"])[1:] == ["oops"]
    fake_hub.wait_for_job_stage(job["id"], "ERROR")
    message = client.get(f"/api/jobs/fake-user/{job['id']}").json()["status"]["message"]
    assert "exit code: 1" in message


def test_cancel_kills_the_process(fake_hub: FakeHub, client: httpx.Client) -> None:
    job = _run(client, ["python", "-c", "import time; print('up', flush=True); time.sleep(60)"])
    wait_until(lambda: "up" in fake_hub.job(job["id"])["log"], what="process output")
    pid = fake_hub.job(job["id"])["pid"]
    client.post(f"/api/jobs/fake-user/{job['id']}/cancel").raise_for_status()
    assert client.get(f"/api/jobs/fake-user/{job['id']}").json()["status"]["stage"] == "CANCELED"

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_until(gone, what="process killed")


def test_timeout_seconds(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(stage_lag=0)
    job = _run(client, [sys.executable, "-c", "import time; time.sleep(60)"], timeoutSeconds=1)
    done = fake_hub.wait_for_job_stage(job["id"], "ERROR", timeout=10)
    assert "timed out" in done["message"]


def test_missing_command_errors(fake_hub: FakeHub, client: httpx.Client) -> None:
    job = _run(client, ["definitely-not-a-command-xyz"])
    done = fake_hub.wait_for_job_stage(job["id"], "ERROR")
    assert "Failed to start" in done["message"]


def test_scenario_from_env_and_default(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("env", lines=["from env"])
    fake_hub.add_job_scenario("dflt", lines=["from default"])
    job = _run(client, ["true"], environment={"FAKE_HUB_SCENARIO": "env"})
    assert _log(client, job["id"])[1:] == ["from env"]
    fake_hub.set_default_job_scenario("dflt")
    job = _run(client, ["true"])
    assert _log(client, job["id"])[1:] == ["from default"]
    assert (
        client.post(
            "/api/jobs/fake-user",
            json={"dockerImage": "x", "command": ["true"], "labels": {"fake-scenario": "nope"}},
        ).status_code
        == 400
    )


def test_hold_and_finish(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.configure(stage_lag=0)
    fake_hub.add_job_scenario("hold", lines=["working"], hold=True)
    job = _run(client, ["true"], labels={"fake-scenario": "hold"})
    wait_until(lambda: "working" in fake_hub.job(job["id"])["log"])
    assert fake_hub.job(job["id"])["stage"] == "RUNNING"
    fake_hub.finish_job(job["id"], "ERROR", "out of memory")
    done = fake_hub.wait_for_job_stage(job["id"], "ERROR")
    assert done["message"] == "out of memory"


def test_org_namespace_and_owner(fake_hub: FakeHub, client: httpx.Client) -> None:
    fake_hub.add_job_scenario("s")
    response = client.post(
        "/api/jobs/fake-org", json={"dockerImage": "x", "command": ["true"], "labels": {"fake-scenario": "s"}}
    )
    assert response.json()["owner"]["type"] == "org"
    assert client.get(f"/api/jobs/fake-user/{response.json()['id']}").status_code == 404
    assert client.post("/api/jobs/stranger", json={"dockerImage": "x", "command": []}).status_code == 403


def test_a_scenario_prints_each_line_on_its_own_clock_even_after_the_fake_hub_stalled(
    fake_hub_server: RunningFakeHub, fake_hub: FakeHub, client: httpx.Client
) -> None:
    # A Job prints on its own clock. Were each line a sleep after the last, a busy fake Hub would push
    # every later line back, and a fleet's Jobs would fall into step (benchmarks.fleet).
    interval, count, stall = 0.05, 20, 0.4
    fake_hub.add_job_scenario("paced", lines=[str(i) for i in range(count)], line_interval=interval)
    job = _run(client, ["true"], labels={"fake-scenario": "paced"})
    loop = fake_hub_server.server.loop
    assert loop is not None
    printed: dict[str, float] = {}
    with client.stream("GET", f"/api/jobs/fake-user/{job['id']}/logs", timeout=10) as response:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            event = json.loads(line[6:])
            printed[event["data"]] = datetime.fromisoformat(
                event["timestamp"].replace("Z", "+00:00")
            ).timestamp()
            if event["data"] == "4":  # mid-way, the fake Hub's loop blocks, as under a fleet's load
                loop.call_soon_threadsafe(time.sleep, stall)
    stamps = [printed[str(i)] for i in range(count)]
    assert stamps[5] - stamps[4] >= stall * 0.8  # the stall held the next line back...
    assert stamps[-1] - stamps[0] < (count - 1) * interval + stall / 2, stamps  # ...and no line after it
