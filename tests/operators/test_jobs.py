"""HfRunJobOperator on both paths, over real HTTP against the fake Hub."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator, JobError
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import (
    TaskInstance,
    TaskStateStore,
    assert_streamed_once,
    context_for,
    run_task,
    set_connection,
)

PATHS = ["sync", "deferrable"]
LINES = [f"epoch {i} loss {1 / (i + 1):.3f}" for i in range(8)]


def job_operator(scenario: str | None, path: str, **kwargs: object) -> HfRunJobOperator:
    labels = {"fake-scenario": scenario} if scenario else None
    settings: dict[str, object] = {
        "task_id": "train", "image": "python:3.12", "command": ["python", "train.py"], "labels": labels,
        "deferrable": path == "deferrable", "poll_interval": 1.0,
    }  # fmt: skip
    settings.update(kwargs)
    return HfRunJobOperator(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", PATHS)
def test_success_streams_every_line_once_and_returns_the_job(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_job_scenario("ok", lines=LINES, line_interval=0.02, stage_lag=0.5)
    ti = TaskInstance()
    result = run_task(job_operator("ok", path), context_for(ti))
    [job] = hub_connection.jobs()
    assert result["id"] == job["id"] and result["stage"] == "COMPLETED"
    assert result["url"] == f"{hub_connection.url}/jobs/{hub_connection.user}/{job['id']}"
    assert ti.xcoms == {"job_id": job["id"], "job_url": result["url"]}
    assert_streamed_once(capsys.readouterr().out, LINES)
    assert result["labels"]["airflow-dag"] == "hf_dag" and result["labels"]["airflow-try"] == "1"
    assert ":" not in result["labels"]["airflow-run"] and "+" not in result["labels"]["airflow-run"]


@pytest.mark.parametrize("path", PATHS)
def test_error_fails_with_the_hub_message_and_the_log_tail(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario(
        "boom", lines=[*LINES, "Traceback: CUDA out of memory"], final_stage="ERROR", message="exit code 1"
    )
    with pytest.raises(JobError) as caught:
        run_task(job_operator("boom", path))
    text = str(caught.value)
    assert "ended ERROR: exit code 1" in text
    assert "Last log lines:" in text and "CUDA out of memory" in text


@pytest.mark.parametrize("path", PATHS)
def test_log_tail_is_fetched_when_logs_were_not_streamed(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario("quiet-boom", lines=["disk full"], final_stage="ERROR")
    with pytest.raises(JobError, match="disk full"):
        run_task(job_operator("quiet-boom", path, stream_logs=False))


@pytest.mark.parametrize("path", PATHS)
def test_canceled_job_fails_the_task(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario("canceled", lines=LINES[:2], final_stage="CANCELED")
    with pytest.raises(JobError, match="ended CANCELED"):
        run_task(job_operator("canceled", path))


@pytest.mark.parametrize("path", PATHS)
def test_scheduling_timeout_fails_and_cancels_the_job(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario("no-gpu", lines=LINES, scheduling_seconds=60)
    started = time.monotonic()
    with pytest.raises(JobError, match="still waiting for a10g-large hardware"):
        run_task(job_operator("no-gpu", path, flavor="a10g-large", scheduling_timeout=1.5))
    assert time.monotonic() - started < 15
    [job] = hub_connection.jobs()
    hub_connection.wait_for_job_stage(job["id"], "CANCELED")


@pytest.mark.parametrize("path", PATHS)
def test_execution_deadline_fails_and_cancels_the_job(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario("long", lines=LINES, hold=True)
    operator = job_operator("long", path, execution_timeout=timedelta(seconds=2))
    with pytest.raises(JobError, match="execution_timeout"):
        run_task(operator)
    [job] = hub_connection.jobs()
    hub_connection.wait_for_job_stage(job["id"], "CANCELED")


@pytest.mark.parametrize("path", PATHS)
def test_result_is_a_json_safe_summary_without_env_or_secrets(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario("same", lines=LINES[:2])
    result = run_task(job_operator("same", path, env={"A": "1"}, secrets={"HF_TOKEN": "hf_job_secret"}))
    assert "hf_job_secret" not in str(result)
    assert set(result) - {"usage"} == {  # usage: when a metric sample came in time
        "id", "namespace", "url", "stage", "message", "flavor", "labels", "created_at", "started_at",
        "finished_at", "scheduling_seconds", "running_seconds", "cost_usd",
    }  # fmt: skip


@pytest.fixture
def both_paths(hub_connection: FakeHub) -> dict[str, tuple[object, str]]:
    outcomes: dict[str, tuple[object, str]] = {}
    hub_connection.add_job_scenario("fine", lines=LINES[:3])
    hub_connection.add_job_scenario("bad", lines=LINES[:3], final_stage="ERROR", message="exit code 3")
    for path in PATHS:
        result = run_task(job_operator("fine", path))
        with pytest.raises(JobError) as caught:
            run_task(job_operator("bad", path))
        outcomes[path] = (result, str(caught.value).replace(caught.value.args[0].split()[1], "<id>"))
    return outcomes


def test_sync_and_deferrable_paths_agree(both_paths: dict[str, tuple[dict, str]]) -> None:
    (sync_result, sync_error), (deferred_result, deferred_error) = (
        both_paths["sync"],
        both_paths["deferrable"],
    )
    ignore = {"id", "url", "created_at", "started_at", "finished_at", "scheduling_seconds", "running_seconds"}
    ignore |= {"usage"}  # samples taken while it ran: timing, like the durations
    assert {k: v for k, v in sync_result.items() if k not in ignore} == {
        k: v for k, v in deferred_result.items() if k not in ignore
    }
    assert sync_error == deferred_error
    assert "ended ERROR: exit code 3" in sync_error


def test_on_kill_cancels_the_job_on_the_sync_path(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("forever", lines=LINES, hold=True)
    operator = job_operator("forever", "sync")
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            run_task(operator)
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while not hub_connection.jobs() and time.monotonic() < deadline:
        time.sleep(0.02)
    [job] = hub_connection.jobs()
    hub_connection.wait_for_job_stage(job["id"], "RUNNING")
    # The Hub has the Job before the worker has the create's answer: wait until the task knows it.
    while operator.job_id != job["id"] and time.monotonic() < deadline:
        time.sleep(0.02)
    operator.on_kill()  # what Airflow calls when the task is killed
    hub_connection.wait_for_job_stage(job["id"], "CANCELED")
    worker.join(15)
    assert isinstance(outcome.get("error"), JobError)


RETRIES = 2


def retry(try_number: int) -> TaskInstance:
    """An automatic retry: ``max_tries`` is still the task's ``retries``, as Airflow created it."""
    return TaskInstance(try_number=try_number, max_tries=RETRIES)


def after_clear(try_number: int, cleared_at: int) -> TaskInstance:
    """A try after a clear of try ``cleared_at``: Airflow set ``max_tries = cleared_at + retries``."""
    return TaskInstance(try_number=try_number, max_tries=cleared_at + RETRIES)


def creates(fake_hub: FakeHub) -> int:
    return sum(1 for r in fake_hub.requests() if r["method"] == "POST" and r["path"].startswith("/api/jobs/"))


def test_retry_reattaches_to_the_running_job(
    hub_connection: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_job_scenario("resume", lines=LINES, line_interval=0.2)
    # Try 1 started the Job, then its worker died (it never waited for the outcome).
    first = run_task(
        job_operator("resume", "sync", wait_for_completion=False, retries=RETRIES), context_for(retry(1))
    )
    again = run_task(job_operator("resume", "deferrable", retries=RETRIES), context_for(retry(2)))
    assert again["id"] == first["id"] and again["stage"] == "COMPLETED"
    assert len(hub_connection.jobs()) == 1
    assert "Re-attaching to Job" in capsys.readouterr().out


@pytest.mark.parametrize("use_store", [False, True], ids=["labels", "task-state-store"])
def test_retry_after_the_worker_died_takes_the_completed_jobs_outcome(
    hub_connection: FakeHub, use_store: bool
) -> None:
    store = TaskStateStore() if use_store else None
    hub_connection.add_job_scenario("done", lines=LINES[:1])
    # Try 1 started the Job and died before it could record success; the Job went on to complete.
    first = run_task(
        job_operator("done", "sync", wait_for_completion=False, retries=RETRIES), context_for(retry(1), store)
    )
    hub_connection.wait_for_job_stage(first["id"], "COMPLETED")
    again = run_task(job_operator("done", "sync", retries=RETRIES), context_for(retry(2), store))
    assert again["id"] == first["id"] and again["stage"] == "COMPLETED"
    assert len(hub_connection.jobs()) == 1 and creates(hub_connection) == 1


@pytest.mark.parametrize("use_store", [False, True], ids=["labels", "task-state-store"])
def test_clear_after_success_runs_a_new_job(hub_connection: FakeHub, use_store: bool) -> None:
    store = TaskStateStore() if use_store else None
    hub_connection.add_job_scenario("rerun", lines=LINES[:1])
    first = run_task(job_operator("rerun", "sync", retries=RETRIES), context_for(retry(1), store))
    assert first["stage"] == "COMPLETED"
    # The user clears the successful task: its next try begins a new series of tries.
    again = run_task(job_operator("rerun", "sync", retries=RETRIES), context_for(after_clear(2, 1), store))
    assert again["id"] != first["id"] and again["stage"] == "COMPLETED"
    assert again["labels"]["airflow-try"] == "2" and len(hub_connection.jobs()) == 2


@pytest.mark.parametrize("use_store", [False, True], ids=["labels", "task-state-store"])
def test_retry_after_a_clear_never_takes_a_job_from_before_the_clear(
    hub_connection: FakeHub, use_store: bool
) -> None:
    store = TaskStateStore() if use_store else None
    hub_connection.add_job_scenario("series", lines=LINES[:1])
    first = run_task(job_operator("series", "sync", retries=RETRIES), context_for(retry(1), store))
    # Cleared: try 2 died before it started a Job; try 3 is its retry, in the same series.
    third = TaskInstance(try_number=3, max_tries=1 + RETRIES)
    again = run_task(job_operator("series", "sync", retries=RETRIES), context_for(third, store))
    assert again["id"] != first["id"] and len(hub_connection.jobs()) == 2


def test_retry_after_a_failed_job_runs_a_new_one(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("flaky", lines=LINES[:1], final_stage="ERROR")
    with pytest.raises(JobError):
        run_task(job_operator("flaky", "sync", retries=RETRIES), context_for(retry(1)))
    with pytest.raises(JobError):
        run_task(job_operator("flaky", "sync", retries=RETRIES), context_for(retry(2)))
    assert len(hub_connection.jobs()) == 2


def test_other_task_instances_do_not_reattach(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("mapped", lines=LINES[:1], hold=True)
    run_task(
        job_operator("mapped", "sync", wait_for_completion=False), context_for(TaskInstance(map_index=0))
    )
    run_task(
        job_operator("mapped", "sync", wait_for_completion=False),
        context_for(TaskInstance(map_index=1, try_number=2, max_tries=1)),
    )
    assert len(hub_connection.jobs()) == 2


LOST_ANSWERS = [("status", 500), ("status", 502), ("status", 503), ("status", 504), ("reset", 0)]


@pytest.mark.parametrize(("kind", "status"), LOST_ANSWERS, ids=["500", "502", "503", "504", "reset"])
def test_lost_answer_to_the_job_post_follows_the_one_job_made(
    hub_connection: FakeHub, kind: str, status: int
) -> None:
    hub_connection.add_job_scenario("lost", lines=LINES[:2])
    # The Hub (or a proxy before it) processed the create, then the answer was lost.
    hub_connection.inject_fault(kind, method="POST", path="^/api/jobs/", when="after", status=status)
    result = run_task(job_operator("lost", "sync"))
    [job] = hub_connection.jobs()
    assert result["id"] == job["id"] and result["stage"] == "COMPLETED"
    assert creates(hub_connection) == 1


@pytest.mark.parametrize("path", PATHS)
def test_429_and_5xx_while_following_do_not_affect_the_task(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario("noisy", lines=LINES, line_interval=0.05)
    hub_connection.inject_fault(
        status=429, method="GET", path=r"^/api/jobs/[^/]+/[0-9a-f]+$", retry_after=0, count=2
    )
    hub_connection.inject_fault(status=503, method="GET", path="/logs$", count=2)
    assert run_task(job_operator("noisy", path))["stage"] == "COMPLETED"


@pytest.mark.parametrize("path", PATHS)
def test_dropped_stream_delivers_every_line_once(
    hub_connection: FakeHub, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_connection.add_job_scenario("dropped", lines=LINES, line_interval=0.05)
    hub_connection.inject_fault("drop_stream", path="/logs$", after_events=3)
    run_task(job_operator("dropped", path))
    assert_streamed_once(capsys.readouterr().out, LINES)


@pytest.mark.parametrize("path", PATHS)
def test_endless_empty_stream_still_completes(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario("endless", lines=LINES[:2], endless_empty_stream=True)
    started = time.monotonic()
    assert run_task(job_operator("endless", path))["stage"] == "COMPLETED"
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("path", PATHS)
def test_stage_lag_is_not_taken_for_success(hub_connection: FakeHub, path: str) -> None:
    hub_connection.add_job_scenario("late-error", lines=LINES[:2], final_stage="ERROR", stage_lag=1.5)
    with pytest.raises(JobError, match="ended ERROR"):
        run_task(job_operator("late-error", path))


@pytest.mark.parametrize("path", PATHS)
def test_401_fails_clearly(hub_connection: FakeHub, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    set_connection(monkeypatch, "hfhub_default", hub_connection.url, "hf_revoked")
    from airflow_provider_hfhub.hub import AuthenticationError

    with pytest.raises(AuthenticationError, match="valid Hugging Face token"):
        run_task(job_operator(None, path))
    assert hub_connection.jobs() == []


@pytest.mark.parametrize("path", PATHS)
def test_404_namespace_fails_clearly(hub_connection: FakeHub, path: str) -> None:
    from airflow_provider_hfhub.hub import ForbiddenError, NotFoundError

    with pytest.raises((NotFoundError, ForbiddenError), match="someone-else"):
        run_task(job_operator(None, path, namespace="someone-else"))
    assert hub_connection.jobs() == []


def test_task_state_store_reattaches_even_when_labels_cannot(hub_connection: FakeHub) -> None:
    """Airflow 3.3: the Job id saved by try 1 is followed by try 2, without a label search."""
    hub_connection.add_job_scenario("stored", lines=LINES, line_interval=0.1)
    store = TaskStateStore()
    first = run_task(
        job_operator("stored", "sync", wait_for_completion=False, retries=RETRIES),
        context_for(retry(1), store),
    )
    assert store["hfhub_job"] == {"id": first["id"], "namespace": hub_connection.user}
    hub_connection.clear_requests()
    again = run_task(job_operator("stored", "deferrable", retries=RETRIES), context_for(retry(2), store))
    assert again["id"] == first["id"] and len(hub_connection.jobs()) == 1
    assert not [r for r in hub_connection.requests() if r["query"] and r["query"][0][0] == "label"]


def test_task_state_store_with_a_failed_job_runs_a_new_one(hub_connection: FakeHub) -> None:
    hub_connection.add_job_scenario("stored-bad", lines=LINES[:1], final_stage="ERROR")
    store = TaskStateStore()
    with pytest.raises(JobError):
        run_task(job_operator("stored-bad", "sync"), context_for(TaskInstance(), store))
    with pytest.raises(JobError):
        run_task(job_operator("stored-bad", "sync"), context_for(TaskInstance(try_number=2), store))
    assert len(hub_connection.jobs()) == 2 and store["hfhub_job"]["id"] == hub_connection.jobs()[-1]["id"]
