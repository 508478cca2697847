"""Our client and the official client send the Hub identical requests for the same operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from huggingface_hub import HfApi

from airflow_provider_hfhub.hub import HubClient
from airflow_provider_hfhub.testing import FakeHub

SPACE = "fake-user/parity"


def _wire(fake_hub: FakeHub) -> list[tuple[str, str, list[list[str]], Any]]:
    return [
        (r["method"], r["path"], r["query"], r["json"])
        for r in fake_hub.requests()
        if "whoami" not in r["path"]
    ]


def _job_id(fake_hub: FakeHub) -> str:
    return fake_hub.jobs()[-1]["id"]


# (name, ours, theirs): each pair must put the same requests on the wire.
OPERATIONS: list[tuple[str, Callable[[HubClient, str], Any], Callable[[HfApi, str], Any]]] = [
    (
        "run_job",
        lambda c, _: c.run_job(
            image="python:3.12",
            command=["python", "-c", "print(1)"],
            env={"A": "1"},
            secrets={"S": "s"},
            flavor="t4-small",
            timeout="5m",
            labels={"team": "ml"},
        ),
        lambda a, _: a.run_job(
            image="python:3.12",
            command=["python", "-c", "print(1)"],
            env={"A": "1"},
            secrets={"S": "s"},
            flavor="t4-small",
            timeout="5m",
            labels={"team": "ml"},
        ),
    ),
    (
        "run_uv_job",
        lambda c, _: c.run_uv_job("https://x.co/train.py", script_args=["--n", "1"], dependencies=["trl"]),
        lambda a, _: a.run_uv_job("https://x.co/train.py", script_args=["--n", "1"], dependencies=["trl"]),
    ),
    ("inspect_job", lambda c, j: c.inspect_job(job_id=j), lambda a, j: a.inspect_job(job_id=j)),
    (
        "list_jobs",
        lambda c, _: c.list_jobs(
            labels={"team": "ml"}, status=["RUNNING", "SCHEDULING"], namespace="fake-user"
        ),
        lambda a, _: list(
            a.list_jobs(labels={"team": "ml"}, status=["RUNNING", "SCHEDULING"], namespace="fake-user")
        ),
    ),
    ("cancel_job", lambda c, j: c.cancel_job(job_id=j), lambda a, j: a.cancel_job(job_id=j)),
    ("get_space_runtime", lambda c, _: c.get_space_runtime(SPACE), lambda a, _: a.get_space_runtime(SPACE)),
    ("restart_space", lambda c, _: c.restart_space(SPACE), lambda a, _: a.restart_space(SPACE)),
    (
        "factory_reboot",
        lambda c, _: c.restart_space(SPACE, factory_reboot=True),
        lambda a, _: a.restart_space(SPACE, factory_reboot=True),
    ),
    ("pause_space", lambda c, _: c.pause_space(SPACE), lambda a, _: a.pause_space(SPACE)),
    (
        "request_space_hardware",
        lambda c, _: c.request_space_hardware(SPACE, "t4-small", sleep_time=3600),
        lambda a, _: a.request_space_hardware(SPACE, "t4-small", sleep_time=3600),
    ),
    (
        "set_space_sleep_time",
        lambda c, _: c.set_space_sleep_time(SPACE, 600),
        lambda a, _: a.set_space_sleep_time(SPACE, 600),
    ),
    (
        "add_space_secret",
        lambda c, _: c.add_space_secret(SPACE, "K", "v", description="d"),
        lambda a, _: a.add_space_secret(SPACE, "K", "v", description="d"),
    ),
    (
        "delete_space_secret",
        lambda c, _: c.delete_space_secret(SPACE, "K"),
        lambda a, _: a.delete_space_secret(SPACE, "K"),
    ),
    (
        "get_space_variables",
        lambda c, _: c.get_space_variables(SPACE),
        lambda a, _: a.get_space_variables(SPACE),
    ),
    (
        "add_space_variable",
        lambda c, _: c.add_space_variable(SPACE, "V", "1"),
        lambda a, _: a.add_space_variable(SPACE, "V", "1"),
    ),
    (
        "delete_space_variable",
        lambda c, _: c.delete_space_variable(SPACE, "V"),
        lambda a, _: a.delete_space_variable(SPACE, "V"),
    ),
    ("list_jobs_hardware", lambda c, _: c.list_jobs_hardware(), lambda a, _: a.list_jobs_hardware()),
    (
        "fetch_job_logs",
        lambda c, j: list(c.fetch_job_logs(job_id=j)),
        lambda a, j: list(a.fetch_job_logs(job_id=j)),
    ),
    (
        "fetch_job_logs_tail",
        lambda c, j: list(c.fetch_job_logs(job_id=j, tail=5)),
        lambda a, j: list(a.fetch_job_logs(job_id=j, tail=5)),
    ),
    (
        "fetch_space_logs",
        lambda c, _: list(c.fetch_space_logs(SPACE, build=True)),
        lambda a, _: list(a.fetch_space_logs(SPACE, build=True)),
    ),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_same_requests_as_the_official_client(
    fake_hub: FakeHub, client: HubClient, name: str, ours: Callable[..., Any], theirs: Callable[..., Any]
) -> None:
    fake_hub.add_space(SPACE)
    fake_hub.add_job_scenario("quick", lines=["one", "two"])
    fake_hub.set_default_job_scenario("quick")
    api = HfApi(endpoint=fake_hub.url, token=fake_hub.token)

    job = client.run_job(image="python:3.12", command=["sleep"])
    fake_hub.wait_for_job_stage(job.id, "COMPLETED")  # finished: log reads end at once on both clients
    fake_hub.clear_requests()
    ours(client, job.id)
    our_wire = _wire(fake_hub)

    fake_hub.clear_requests()
    theirs(api, job.id)
    assert _wire(fake_hub) == our_wire
    assert our_wire, "the operation sent nothing"
