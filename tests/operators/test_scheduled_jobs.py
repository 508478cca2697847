"""Scheduled Jobs from DAG tasks, over the fake Hub: create or update by name, suspend, resume, delete, run now."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_provider_hfhub.operators.jobs import JobError
from airflow_provider_hfhub.operators.scheduled_jobs import (
    HfDeleteScheduledJobOperator,
    HfResumeScheduledJobOperator,
    HfScheduledJobOperator,
    HfSuspendScheduledJobOperator,
    HfTriggerScheduledJobOperator,
)
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import assert_streamed_once, run_task

LINES = [f"nightly {i}" for i in range(5)]


def declare(**kwargs: object) -> HfScheduledJobOperator:
    settings: dict[str, object] = {
        "task_id": "declare", "name": "nightly-eval", "image": "python:3.12", "command": ["python", "eval.py"],
        "schedule": "@daily", "flavor": "t4-small", "labels": {"fake-scenario": "nightly"},
    }  # fmt: skip
    settings.update(kwargs)
    return HfScheduledJobOperator(**settings)  # type: ignore[arg-type]


def _scheduled(fake_hub: FakeHub) -> list[dict[str, object]]:
    import httpx

    response = httpx.get(
        f"{fake_hub.url}/api/scheduled-jobs/{fake_hub.user}",
        headers={"authorization": f"Bearer {fake_hub.token}"},
    )
    return list(response.json())


def test_create_or_update_by_name_is_idempotent(hub_connection: FakeHub) -> None:
    first = run_task(declare())
    assert first["changed"] and first["name"] == "nightly-eval" and first["schedule"] == "@daily"
    again = run_task(declare())
    assert not again["changed"] and again["id"] == first["id"]
    assert [item["id"] for item in _scheduled(hub_connection)] == [first["id"]]  # run twice, one
    creates = [r for r in hub_connection.requests() if r["method"] == "POST"]
    assert len(creates) == 1 and creates[0]["json"]["jobSpec"]["labels"]["name"] == "nightly-eval"

    changed = run_task(declare(schedule="0 3 * * *"))
    assert changed["changed"] and changed["id"] != first["id"] and changed["schedule"] == "0 3 * * *"
    assert [item["id"] for item in _scheduled(hub_connection)] == [changed["id"]]  # replaced, still one


def test_secrets_always_replace_and_never_come_back(hub_connection: FakeHub) -> None:
    first = run_task(declare(secrets={"HF_TOKEN": "hf_scheduled_secret"}))
    second = run_task(declare(secrets={"HF_TOKEN": "hf_scheduled_secret"}))
    assert second["id"] != first["id"] and len(_scheduled(hub_connection)) == 1
    assert "hf_scheduled_secret" not in str(first) + str(second)


def test_suspend_resume_and_delete_by_name(hub_connection: FakeHub) -> None:
    created = run_task(declare())
    suspended = run_task(HfSuspendScheduledJobOperator(task_id="s", name="nightly-eval"))
    assert suspended["id"] == created["id"] and suspended["suspend"] is True
    resumed = run_task(HfResumeScheduledJobOperator(task_id="r", scheduled_job_id=created["id"]))
    assert resumed["suspend"] is False
    deleted = run_task(HfDeleteScheduledJobOperator(task_id="d", name="nightly-eval"))
    assert deleted["deleted"] and _scheduled(hub_connection) == []
    again = run_task(HfDeleteScheduledJobOperator(task_id="d", name="nightly-eval"))
    assert again["deleted"] is False  # already gone: what the task wants


@pytest.mark.parametrize("path", ["sync", "deferrable"])
def test_trigger_now_returns_the_job_and_follows_it(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_job_scenario("nightly", lines=LINES, line_interval=0.02)
    created = run_task(declare())
    operator = HfTriggerScheduledJobOperator(
        task_id="now", name="nightly-eval", deferrable=path == "deferrable", poll_interval=1.0
    )
    result = run_task(operator)
    [job] = hub_connection.jobs()
    assert result["id"] == job["id"] and result["stage"] == "COMPLETED" and result["flavor"] == "t4-small"
    assert result["cost_usd"] == pytest.approx(0.006667)
    assert_streamed_once(capsys.readouterr().out, LINES)
    assert any(r["path"].endswith(f"/{created['id']}/run") for r in hub_connection.requests())


def test_trigger_now_with_a_budget_cancels_the_run(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("nightly", lines=["x"], hold=True)
    run_task(declare(flavor="a10g-small"))
    with pytest.raises(JobError, match=r"max_cost_usd=\$0.01"):
        run_task(
            HfTriggerScheduledJobOperator(
                task_id="now", name="nightly-eval", max_cost_usd=0.01, execution_timeout=timedelta(seconds=20)
            )
        )
    [job] = hub_connection.jobs()
    assert job["stage"] == "CANCELED"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"schedule": "every day"}, "schedule 'every day' must be one of @annually"),
        ({"name": "nightly eval"}, "name 'nightly eval': letters, digits"),
        ({"labels": {"name": "x"}}, "labels must not have a 'name' key"),
        ({"expose": ["80"]}, "expose: '80' is not a port number"),
    ],
)
def test_bad_scheduled_job_arguments_fail_before_any_hub_call(
    hub_connection: FakeHub, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        declare(**kwargs)
    with pytest.raises(ValueError, match="exactly one of scheduled_job_id and name"):
        HfSuspendScheduledJobOperator(task_id="s")
    assert hub_connection.requests() == []
