"""What a Job used and cost, and the budget guard, on both paths over the fake Hub."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator, JobError
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task

PATHS = ["sync", "deferrable"]
LINES = [f"step {i}" for i in range(8)]


def job_operator(scenario: str, path: str, **kwargs: object) -> HfRunJobOperator:
    settings: dict[str, object] = {
        "task_id": "train", "image": "python:3.12", "command": ["python", "train.py"],
        "labels": {"fake-scenario": scenario}, "deferrable": path == "deferrable", "poll_interval": 1.0,
    }  # fmt: skip
    settings.update(kwargs)
    return HfRunJobOperator(**settings)  # type: ignore[arg-type]


def _price(fake_hub: FakeHub, flavor: str) -> float:
    import httpx

    [entry] = [h for h in httpx.get(f"{fake_hub.url}/api/jobs/hardware").json() if h["name"] == flavor]
    assert entry["unitLabel"] == "minute"
    return float(entry["unitCostUSD"])


@pytest.mark.parametrize("path", PATHS)
def test_usage_summary_and_cost_of_a_gpu_job(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.configure(metrics_interval=0.05)
    hub_connection.add_job_scenario("gpu", lines=LINES, line_interval=0.08)
    result = run_task(job_operator("gpu", path, flavor="a10g-largex2"))
    usage = result["usage"]
    assert usage["samples"] >= 3
    assert usage["cpu_pct"]["peak"] >= usage["cpu_pct"]["mean"] > 0
    assert len(usage["gpus"]) == 2  # one entry per GPU of the flavor
    for gpu in usage["gpus"].values():
        assert gpu["utilization_pct"]["mean"] >= 40 and gpu["memory_bytes"]["total"] == 24e9
    # Under a minute of running time: one billed minute at the hardware list's price.
    assert result["cost_usd"] == pytest.approx(_price(hub_connection, "a10g-largex2"))
    out = capsys.readouterr().out
    assert f"Usage of Job {result['id']}: {usage['samples']} samples; CPU" in out
    assert f"Cost of Job {result['id']}: $0.05 for " in out and "each started minute" in out
    assert "barely used" not in out


@pytest.mark.parametrize("path", PATHS)
def test_idle_gpus_are_warned_about_and_a_cpu_job_has_no_gpus(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.configure(metrics_interval=0.05)
    hub_connection.add_job_scenario("idle", lines=LINES, line_interval=0.08, gpu_utilization=2)
    idle = run_task(job_operator("idle", path, flavor="t4-small"))
    assert idle["usage"]["gpus"] and "paying for a GPU the Job barely used" in capsys.readouterr().out
    cpu = run_task(job_operator("idle", path, flavor="cpu-upgrade"))
    assert cpu["usage"]["samples"] and cpu["usage"]["gpus"] == {}
    assert "barely used" not in capsys.readouterr().out


def test_collect_metrics_off_sends_no_metrics_request(hub_connection: FakeHub) -> None:
    hub_connection.configure(metrics_interval=0.05)
    hub_connection.add_job_scenario("quiet", lines=LINES, line_interval=0.05)
    result = run_task(job_operator("quiet", "deferrable", collect_metrics=False, flavor="t4-small"))
    assert "usage" not in result and result["cost_usd"] > 0
    assert [r["path"] for r in hub_connection.requests() if r["path"].endswith("/metrics")] == []


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 403, "message": "metrics are not for you"},
        {"kind": "stall_stream", "after_events": 1, "seconds": 600},
    ],
    ids=["refused", "stalled"],
)
def test_metrics_stream_failures_neither_fail_nor_delay_the_task(
    hub_connection: FakeHub, fault: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.configure(metrics_interval=0.05)
    hub_connection.add_job_scenario("ok", lines=LINES, line_interval=0.05)
    hub_connection.inject_fault(path=r".*/metrics$", count=100, **fault)  # type: ignore[arg-type]
    started = time.monotonic()
    result = run_task(job_operator("ok", "sync"))
    assert result["stage"] == "COMPLETED" and time.monotonic() - started < 10
    if fault["kind"] == "status":
        assert "usage" not in result
        assert "Stopped reading the metrics" in capsys.readouterr().out


@pytest.mark.parametrize("path", PATHS)
def test_budget_guard_cancels_the_job_and_fails_the_task(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_job_scenario("forever", lines=["loading"], hold=True)
    # a10g-small is $1.00 an hour: its first billed minute ($0.016667) is over a $0.01 budget.
    operator = job_operator(
        "forever", path, flavor="a10g-small", max_cost_usd=0.01, cancel_on_kill=False,
        execution_timeout=timedelta(seconds=20),  # a guard that does not act fails, not hangs
    )  # fmt: skip
    with pytest.raises(JobError) as caught:
        run_task(operator)
    [job] = hub_connection.jobs()
    assert job["stage"] == "CANCELED"
    text = str(caught.value)
    assert "max_cost_usd=$0.01, cost so far $0.016667" in text
    assert f"{hub_connection.url}/jobs/{hub_connection.user}/{job['id']}" in text
    # The budget pays for less than a minute: the Job's own limit is capped to one, and said so.
    assert job["spec"]["timeoutSeconds"] == 60
    assert "timeout is capped to 60 s (was the Hub's default, 1800 s)" in capsys.readouterr().out


def test_a_budget_the_job_stays_under_leaves_it_alone(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("short", lines=LINES)
    result = run_task(job_operator("short", "sync", flavor="t4-small", max_cost_usd=5.0, timeout="2h"))
    assert result["stage"] == "COMPLETED" and result["cost_usd"] == pytest.approx(0.006667)
    [job] = hub_connection.jobs()
    assert job["spec"]["timeoutSeconds"] == 7200  # $5 buys 750 min of t4-small: no cap


def test_a_budget_needs_a_price(hub_connection: FakeHub) -> None:
    hub_connection.inject_fault(path=r"/api/jobs/hardware$", status=403, count=10)
    with pytest.raises(JobError, match="max_cost_usd needs cpu-upgrade's price"):
        run_task(job_operator("any", "sync", flavor="cpu-upgrade", max_cost_usd=1.0))
    assert hub_connection.jobs() == []  # nothing started


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_cost_usd": 0}, "max_cost_usd must be a positive number"),
        ({"max_cost_usd": "5"}, "max_cost_usd must be a positive number"),
        ({"max_cost_usd": float("inf")}, "max_cost_usd must be finite"),
        ({"collect_metrics": "yes"}, "collect_metrics must be True or False"),
        ({"attempts": 0}, "attempts must be a whole number of runs, at least 1"),
        ({"expose": [80, 70000]}, "expose: 70000 is not a port number"),
        ({"expose_public": 8080}, "expose_public must be a list of port numbers"),
        ({"network_group": "Train_Group"}, "network_group 'Train_Group': use lower-case letters"),
        ({"network_aliases": ["master"]}, "network_aliases need a network_group"),
        ({"network_group": "g", "network_aliases": ["a", "a"]}, "name an alias twice"),
        ({"network_group": "g", "network_aliases": ["x" * 35]}, "at most 34 characters"),
        ({"resource_group_id": "my group"}, "resource_group_id 'my group' must be the resource group's id"),
    ],
)
def test_bad_run_options_fail_before_any_hub_call(
    hub_connection: FakeHub, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        job_operator("any", "sync", **kwargs)
    assert hub_connection.requests() == []


def test_run_options_reach_the_hub(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("served", lines=LINES)
    options = {
        "attempts": 2, "expose": [8000], "expose_public": [9000], "network_group": "train",
        "network_aliases": ["master"], "resource_group_id": "66670e5163145ca562cb1988",
    }  # fmt: skip
    run_task(job_operator("served", "sync", **options))
    [job] = hub_connection.jobs()
    spec = job["spec"]
    assert spec["attempts"] == 2 and spec["resourceGroupId"] == "66670e5163145ca562cb1988"
    assert spec["expose"] == {"ports": [8000, 9000], "portsPublic": [9000]}
    assert spec["network"] == {"group": "train", "aliases": ["master"]}
