"""Our client and the official client send the Hub identical requests for the same operations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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


JOB = object()  # stands for the id of the Job each test starts


@dataclass(frozen=True)
class Operation:
    """One method call, made alike on both clients."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def on(self, client: HubClient | HfApi, job_id: str) -> None:
        kwargs = {key: job_id if value is JOB else value for key, value in self.kwargs.items()}
        result = getattr(client, self.method)(*self.args, **kwargs)
        if isinstance(result, Iterator):  # logs, and the official client's list_jobs: read them
            list(result)


def op(method: str, *args: Any, **kwargs: Any) -> Operation:
    return Operation(method, args, kwargs)


# Each must put the same requests on the wire from both clients.
OPERATIONS = {
    "run_job": op(
        "run_job",
        image="python:3.12",
        command=["python", "-c", "print(1)"],
        env={"A": "1"},
        secrets={"S": "s"},
        flavor="t4-small",
        timeout="5m",
        labels={"team": "ml"},
    ),
    "run_job_options": op(
        "run_job",
        image="python:3.12",
        command=["python", "serve.py"],
        flavor="a10g-small",
        attempts=3,
        expose=[8000, 9000],
        expose_public=[9000, 7000],
        network_group="train",
        network_aliases=["master"],
        resource_group_id="66670e5163145ca562cb1988",
    ),
    "run_job_public_port_only": op(
        "run_job", image="python:3.12", command=["serve"], expose_public=[8080], network_group="g"
    ),
    "run_uv_job_options": op(
        "run_uv_job", "https://x.co/train.py", attempts=2, expose=[8000], resource_group_id="rg"
    ),
    "rerun_job": op("rerun_job", job_id=JOB),
    "create_scheduled_job": op(
        "create_scheduled_job",
        image="python:3.12",
        command=["python", "nightly.py"],
        schedule="@daily",
        flavor="t4-small",
        timeout="2h",
        attempts=2,
        expose=[8000],
        expose_public=[9000],
        resource_group_id="rg",
        labels={"team": "ml"},
        name="nightly",
    ),
    "run_uv_job": op("run_uv_job", "https://x.co/train.py", script_args=["--n", "1"], dependencies=["trl"]),
    "inspect_job": op("inspect_job", job_id=JOB),
    "list_jobs": op(
        "list_jobs", labels={"team": "ml"}, status=["RUNNING", "SCHEDULING"], namespace="fake-user"
    ),
    "cancel_job": op("cancel_job", job_id=JOB),
    "get_space_runtime": op("get_space_runtime", SPACE),
    "restart_space": op("restart_space", SPACE),
    "factory_reboot": op("restart_space", SPACE, factory_reboot=True),
    "pause_space": op("pause_space", SPACE),
    "request_space_hardware": op("request_space_hardware", SPACE, "t4-small", sleep_time=3600),
    "set_space_sleep_time": op("set_space_sleep_time", SPACE, 600),
    "add_space_secret": op("add_space_secret", SPACE, "K", "v", description="d"),
    "delete_space_secret": op("delete_space_secret", SPACE, "K"),
    "get_space_variables": op("get_space_variables", SPACE),
    "add_space_variable": op("add_space_variable", SPACE, "V", "1"),
    "delete_space_variable": op("delete_space_variable", SPACE, "V"),
    "list_jobs_hardware": op("list_jobs_hardware"),
    "fetch_job_logs": op("fetch_job_logs", job_id=JOB),
    "fetch_job_logs_tail": op("fetch_job_logs", job_id=JOB, tail=5),
    "fetch_space_logs": op("fetch_space_logs", SPACE, build=True),
    "space_info": op("space_info", SPACE),
    "repo_info_at_revision": op("repo_info", SPACE, repo_type="space", revision="main"),
    "list_repo_commits": op("list_repo_commits", SPACE, repo_type="space"),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_same_requests_as_the_official_client(
    fake_hub: FakeHub, client: HubClient, operation: Operation
) -> None:
    fake_hub.add_space(SPACE)
    fake_hub.add_job_scenario("quick", lines=["one", "two"])
    fake_hub.set_default_job_scenario("quick")
    api = HfApi(endpoint=fake_hub.url, token=fake_hub.token)

    job = client.run_job(image="python:3.12", command=["sleep"])
    fake_hub.wait_for_job_stage(job.id, "COMPLETED")  # finished: log reads end at once on both clients
    fake_hub.clear_requests()
    operation.on(client, job.id)
    our_wire = _wire(fake_hub)

    fake_hub.clear_requests()
    operation.on(api, job.id)
    assert _wire(fake_hub) == our_wire
    assert our_wire, "the operation sent nothing"
