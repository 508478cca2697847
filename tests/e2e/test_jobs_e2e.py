"""HfRunJobOperator on a real Airflow deployment: deferral, kills, restarts, timeouts, secrets.

Each scenario asserts through Airflow's REST API and the fake Hub's admin API (see conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import pytest

from .deployment import AirflowApi, AirflowDeployment, process_cmdline, wait_for
from .helpers import (
    DagRuns,
    assert_replayed_once_marked,
    counts,
    excerpt,
    job_creations,
    job_lines,
    only_job,
    parent_pid,
    worker_pid,
)

pytestmark = pytest.mark.timeout(300)

DEFERRED = "e2e_job_deferred"
TIMEOUT = "e2e_job_timeout"
SYNC_RETRY = "e2e_job_sync_retry"
SECRETS = "e2e_job_secrets"
TASK = "job"


def deferred_job(
    api: AirflowApi, hub, dag_runs: DagRuns, dag_id: str, scenario: str, **behaviour: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Run ``dag_id`` on a new Job scenario until its task defers: its run id, task instance and Job."""
    hub.add_job_scenario(scenario, **behaviour)
    run_id = dag_runs.trigger(dag_id, {"scenario": scenario})
    ti = api.wait_ti(dag_id, run_id, TASK, "deferred", timeout=120)
    return run_id, ti, only_job(hub)


def test_deferred_job_streams_its_log_while_deferred(api: AirflowApi, hub, dag_runs: DagRuns) -> None:
    lines = job_lines("deferred", 8)
    run_id, _, job = deferred_job(
        api, hub, dag_runs, DEFERRED, "e2e-deferred", lines=lines, line_interval=0.1, hold=True
    )

    def all_lines_shown() -> list[str] | None:
        events = api.log_events(DEFERRED, run_id, TASK, 1)
        return events if all(line in events for line in lines) else None

    events = wait_for("every Job line in the task log while deferred", all_lines_shown, timeout=30)
    from_trigger = [
        record.get("event")
        for record in api.log(DEFERRED, run_id, TASK, 1)
        if record.get("logger") == "airflow_provider_hfhub.triggers.jobs.HfJobTrigger"
    ]
    assert all(line in from_trigger for line in lines), "the lines were not forwarded by the trigger"
    # The Job is held RUNNING by the fake Hub, so the task is still deferred after that read.
    assert api.ti(DEFERRED, run_id, TASK)["state"] == "deferred"
    for line in lines:
        assert counts(events, line) == (1, 0), f"{line!r} not exactly once:\n{excerpt(events)}"

    # The link works during deferral: the worker stored it before handing over to the triggerer.
    job_url = api.xcom(DEFERRED, run_id, TASK, "job_url")
    assert job_url and job["id"] in job_url and job_url.startswith(hub.url)
    assert api.xcom(DEFERRED, run_id, TASK, "_link_HfJobLink") == job_url
    assert api.xcom(DEFERRED, run_id, TASK, "job_id") == job["id"]

    hub.finish_job(job["id"], "COMPLETED")
    api.wait_ti(DEFERRED, run_id, TASK, "success", timeout=90)
    events = api.log_events(DEFERRED, run_id, TASK, 1)
    for line in lines:
        assert counts(events, line) == (1, 0), f"{line!r} not exactly once:\n{excerpt(events)}"
    result = api.xcom(DEFERRED, run_id, TASK, "return_value")
    assert result["id"] == job["id"]
    assert result["url"] == job_url
    assert result["stage"] == "COMPLETED"
    assert hub.job(job["id"])["stage"] == "COMPLETED"
    assert len(job_creations(hub)) == 1


def test_a_job_of_a_few_seconds_deferred_succeeds(api: AirflowApi, hub, dag_runs: DagRuns) -> None:
    # Airflow 3.1-3.3.2 can fail a task whose trigger fires within seconds of the deferral
    # (apache/airflow#72716): the trigger holds such an event until the deferral is old enough.
    lines = job_lines("quick", 3)
    hub.add_job_scenario("e2e-quick", lines=lines, line_interval=0.5)
    run_id = dag_runs.trigger(DEFERRED, {"scenario": "e2e-quick"})
    ti = api.wait_ti(DEFERRED, run_id, TASK, {"success", "failed"}, timeout=150)
    events = api.log_events(DEFERRED, run_id, TASK, ti["try_number"])
    assert (ti["state"], ti["try_number"]) == ("success", 1), excerpt(events)
    assert api.xcom(DEFERRED, run_id, TASK, "return_value")["stage"] == "COMPLETED"  # execute_complete ran
    for line in lines:
        assert counts(events, line) == (1, 0), f"{line!r} not exactly once:\n{excerpt(events)}"
    assert len(job_creations(hub)) == 1


def test_user_kill_while_deferred_cancels_the_job(api: AirflowApi, hub, dag_runs: DagRuns) -> None:
    run_id, _, job = deferred_job(
        api, hub, dag_runs, DEFERRED, "e2e-kill", lines=job_lines("kill", 3), line_interval=0.1, hold=True
    )
    # The trigger is running (it streams the log) before the user kills the task.
    wait_for(
        "the trigger to follow the Job", lambda: hub.requests(f"/api/jobs/fake-user/{job['id']}/logs"), 30
    )
    assert hub.job(job["id"])["stage"] == "RUNNING"

    api.patch_ti(DEFERRED, run_id, TASK, "failed")
    killed_at = time.monotonic()
    canceled = hub.wait_for_job_stage(job["id"], "CANCELED", timeout=10)
    print(f"Job CANCELED {time.monotonic() - killed_at:.1f} s after the kill")
    assert canceled["stage"] == "CANCELED"
    cancels = [r for r in hub.requests(f"/api/jobs/fake-user/{job['id']}/cancel") if r["method"] == "POST"]
    assert len(cancels) == 1 and cancels[0]["auth_ok"]
    assert api.ti(DEFERRED, run_id, TASK)["state"] == "failed"


def test_triggerer_killed_mid_job_and_restarted(
    airflow_e2e: AirflowDeployment, api: AirflowApi, hub, dag_runs: DagRuns
) -> None:
    # ~60 s of log: lines before the kill, while no triggerer runs, and after the new one took over.
    lines = job_lines("restart", 60)
    run_id, _, job = deferred_job(api, hub, dag_runs, DEFERRED, "e2e-restart", lines=lines, line_interval=1.0)
    deferred_seen = time.monotonic()

    # The trigger restarts more than 30 s after the deferral (the provider's test for "a restart",
    # RESTART_AGE_SECONDS): kill at 28 s; a SIGKILLed triggerer is declared dead 10 s after its last
    # heartbeat (triggerer_health_check_threshold), so its trigger moves about 35 s after the deferral.
    time.sleep(max(0.0, 28 - (time.monotonic() - deferred_seen)))
    shown = api.log_events(DEFERRED, run_id, TASK, 1)
    shown_lines = [line for line in lines if line in shown]
    assert len(shown_lines) >= 5, f"too few lines streamed before the kill:\n{excerpt(shown)}"
    airflow_e2e.kill_component("triggerer")
    killed_at = time.monotonic()
    assert hub.job(job["id"])["stage"] == "RUNNING", "the Job ended before the triggerer was killed"
    try:
        airflow_e2e.start_component("triggerer")
        ti = api.wait_ti(DEFERRED, run_id, TASK, {"success", "failed"}, timeout=150)
    finally:
        airflow_e2e.ensure_running("triggerer")
    print(f"task {ti['state']} {time.monotonic() - killed_at:.1f} s after the triggerer was killed")

    assert ti["state"] == "success"
    assert hub.job(job["id"])["stage"] == "COMPLETED"
    assert len(hub.jobs()) == 1 and len(job_creations(hub)) == 1
    events = api.log_events(DEFERRED, run_id, TASK, 1)
    assert_replayed_once_marked(events, lines, shown_lines, "restart")


@pytest.mark.parametrize(
    "what",
    [
        # The task runner dies (OOM killer...): its supervisor reports the failure at once.
        pytest.param("task-runner", id="task-runner"),
        # The whole worker dies (the LocalExecutor process that supervises the task, and the task):
        # nobody reports, the scheduler finds the task without heartbeats (task_instance_heartbeat_timeout).
        pytest.param("supervisor-and-task-runner", id="whole-worker"),
    ],
)
def test_worker_killed_mid_job_retry_reattaches(api: AirflowApi, hub, dag_runs: DagRuns, what: str) -> None:
    hub.add_job_scenario("e2e-worker", lines=job_lines("worker", 3), line_interval=0.1, hold=True)
    run_id = dag_runs.trigger(SYNC_RETRY, {"scenario": "e2e-worker"})
    ti = api.wait_ti(SYNC_RETRY, run_id, TASK, "running", timeout=120)
    job = wait_for("the Job on the Hub", lambda: hub.jobs(), timeout=60)[0]
    log_path = f"/api/jobs/fake-user/{job['id']}/logs"
    wait_for("try 1 to follow the Job's log", lambda: hub.requests(log_path), timeout=30)
    streams_before = len(hub.requests(log_path))

    pid = worker_pid(ti)  # the task runner: SIGKILL gives it no chance to run on_kill
    victims = [pid]
    if what == "supervisor-and-task-runner":
        supervisor = parent_pid(pid)
        assert "airflow worker -- LocalExecutor" in process_cmdline(supervisor), process_cmdline(supervisor)
        victims.insert(0, supervisor)  # first, so it cannot report the task runner's death
    for victim in victims:
        os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    for victim in victims:
        wait_for(f"process {victim} to die", lambda victim=victim: not process_cmdline(victim), timeout=30)

    api.wait_ti(SYNC_RETRY, run_id, TASK, "running", timeout=120, until=lambda ti: ti["try_number"] == 2)
    print(f"try 2 running {time.monotonic() - killed_at:.1f} s after killing {what} {victims}")
    wait_for(
        "try 2 to follow the Job's log (or start another Job)",
        lambda: len(hub.requests(log_path)) > streams_before or len(hub.jobs()) > 1,
        timeout=60,
    )
    assert len(hub.jobs()) == 1 and len(job_creations(hub)) == 1, "the retry started another Job"
    assert hub.job(job["id"])["stage"] == "RUNNING"
    hub.finish_job(job["id"], "COMPLETED")
    ti = api.wait_ti(SYNC_RETRY, run_id, TASK, {"success", "failed"}, timeout=90)

    assert ti["state"] == "success" and ti["try_number"] == 2
    assert len(hub.jobs()) == 1 and len(job_creations(hub)) == 1, "the retry started another Job"
    assert api.ti_try(SYNC_RETRY, run_id, TASK, 1)["state"] == "failed"
    retry_log = api.log_events(SYNC_RETRY, run_id, TASK, 2)
    assert any(f"Re-attaching to Job {job['id']}" in event for event in retry_log), excerpt(retry_log)
    assert api.xcom(SYNC_RETRY, run_id, TASK, "return_value")["id"] == job["id"]


def test_worker_killed_after_its_job_completed_retry_takes_the_outcome(
    api: AirflowApi, hub, dag_runs: DagRuns
) -> None:
    hub.add_job_scenario("e2e-worker-done", lines=job_lines("done", 3), line_interval=0.1, hold=True)
    run_id = dag_runs.trigger(SYNC_RETRY, {"scenario": "e2e-worker-done"})
    ti = api.wait_ti(SYNC_RETRY, run_id, TASK, "running", timeout=120)
    job = wait_for("the Job on the Hub", lambda: hub.jobs(), timeout=60)[0]
    wait_for("try 1 to follow the Job", lambda: hub.requests(f"/api/jobs/fake-user/{job['id']}/logs"), 30)
    pid = worker_pid(ti)
    os.kill(pid, signal.SIGKILL)  # the try dies before it can record the Job's success...
    wait_for(f"process {pid} to die", lambda: not process_cmdline(pid), timeout=30)
    hub.finish_job(job["id"], "COMPLETED")  # ...which comes while no worker watches
    ti = api.wait_ti(SYNC_RETRY, run_id, TASK, {"success", "failed"}, timeout=150)
    assert (ti["state"], ti["try_number"]) == ("success", 2)
    assert len(job_creations(hub)) == 1, "the retry paid for a second Job"
    assert api.xcom(SYNC_RETRY, run_id, TASK, "return_value")["id"] == job["id"]


def test_clearing_a_task_that_succeeded_runs_a_new_job(api: AirflowApi, hub, dag_runs: DagRuns) -> None:
    hub.add_job_scenario("e2e-clear", lines=job_lines("clear", 2), line_interval=0.1)
    run_id = dag_runs.trigger(DEFERRED, {"scenario": "e2e-clear"})
    first = api.wait_ti(DEFERRED, run_id, TASK, "success", timeout=150)
    first_job = api.xcom(DEFERRED, run_id, TASK, "return_value")["id"]
    # As a user does: clear once the run has finished. Cleared while the scheduler was still closing
    # the run, the run's "success" overwrote the clear's "queued" and the task never ran again.
    wait_for("the run to finish", lambda: api.dag_run(DEFERRED, run_id)["state"] == "success" or None, 60)
    api.clear_ti(DEFERRED, run_id, TASK)
    api.wait_ti(
        DEFERRED,
        run_id,
        TASK,
        "success",
        timeout=300,  # a loaded scheduler was seen taking over 150 s to start a cleared task
        until=lambda ti: ti["try_number"] > first["try_number"],
    )
    assert len(job_creations(hub)) == 2, "the cleared task re-used the Job of its earlier run"
    assert api.xcom(DEFERRED, run_id, TASK, "return_value")["id"] != first_job


def test_execution_timeout_while_deferred_cancels_the_job(api: AirflowApi, hub, dag_runs: DagRuns) -> None:
    lines = job_lines("timeout", 3)
    run_id, _, job = deferred_job(
        api, hub, dag_runs, TIMEOUT, "e2e-timeout", lines=lines, line_interval=0.1, hold=True
    )  # execution_timeout: 20 s
    ti = api.wait_ti(TIMEOUT, run_id, TASK, {"success", "failed"}, timeout=90)

    assert ti["state"] == "failed"
    canceled = hub.wait_for_job_stage(job["id"], "CANCELED", timeout=10)
    assert canceled["stage"] == "CANCELED"
    records = api.log(TIMEOUT, run_id, TASK, 1)
    events = [str(record.get("event")) for record in records]
    # The failure's message is in the "Task failed with exception" record's error_detail.
    assert f"Job {job['id']} outlived the task's execution_timeout" in json.dumps(records), excerpt(events)
    assert f"Cancelling Hub Job {job['id']}: the task's timeout" in events, excerpt(events)


def test_secrets_never_leave_the_job(
    airflow_e2e: AirflowDeployment, api: AirflowApi, hub, dag_runs: DagRuns
) -> None:
    token, secret = airflow_e2e.token, airflow_e2e.job_secret
    needles = {"connection token": token, "Job secret": secret}
    lines = job_lines("secrets", 3)
    run_id, ti, job = deferred_job(
        api, hub, dag_runs, SECRETS, "e2e-secrets", lines=lines, line_interval=0.1, hold=True
    )

    # Positive controls: the Hub got both (so the checks below look for values that were in play).
    assert job["spec"]["secrets"] == {"MY_SECRET": secret}
    assert all(request["auth_ok"] for request in hub.requests("/api/jobs/"))

    # The trigger's arguments while deferred: the raw column, and decrypted with the Fernet key.
    rows = airflow_e2e.db_rows("SELECT classpath, kwargs FROM trigger")
    ours = [
        (path, raw, airflow_e2e.decrypt(raw)) for path, raw in rows if job["id"] in airflow_e2e.decrypt(raw)
    ]
    assert len(ours) == 1, f"no trigger row for Job {job['id']}: {rows}"
    trigger_texts = {"trigger.kwargs (raw)": ours[0][1], "trigger.kwargs (decrypted)": ours[0][2]}
    trigger_texts["REST trigger of the task instance"] = json.dumps(ti.get("trigger"))

    hub.finish_job(job["id"], "COMPLETED")
    ti = api.wait_ti(SECRETS, run_id, TASK, {"success", "failed"}, timeout=90)
    assert ti["state"] == "success"

    keys = api.xcom_keys(SECRETS, run_id, TASK)
    assert {"job_id", "job_url", "return_value"} <= set(keys)
    places = {
        **trigger_texts,
        **{f"XCom {key}": json.dumps(api.xcom(SECRETS, run_id, TASK, key)) for key in keys},
        "rendered fields": json.dumps(ti["rendered_fields"]),
        "task instance (REST)": json.dumps(ti),
        "task log (REST)": json.dumps(api.log(SECRETS, run_id, TASK, 1)),
    }
    # Positive control: the log files scanned below are the ones that saw this Job.
    assert airflow_e2e.files_containing(job["id"], airflow_e2e.logs_dir)
    leaks = []
    for what, needle in needles.items():
        leaks += [f"{what} in {place}" for place, text in places.items() if needle in text]
        leaks += [
            f"{what} in file {name}" for name in airflow_e2e.files_containing(needle, airflow_e2e.logs_dir)
        ]
        leaks += [
            f"{what} in component output {name}"
            for name in airflow_e2e.files_containing(needle, airflow_e2e.procs_dir)
        ]
        leaks += [f"{what} in DB table {table}" for table in airflow_e2e.db_dump_containing(needle)]
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)


def test_triggerer_restarted_soon_after_deferral_marks_replayed_lines(
    airflow_e2e: AirflowDeployment, api: AirflowApi, hub, dag_runs: DagRuns
) -> None:
    lines = job_lines("quick restart", 30)
    run_id, _, job = deferred_job(
        api, hub, dag_runs, DEFERRED, "e2e-quick-restart", lines=lines, line_interval=0.5
    )

    def some_lines_shown() -> list[str] | None:
        events = api.log_events(DEFERRED, run_id, TASK, 1)
        shown = [line for line in lines if line in events]
        return shown if len(shown) >= 3 else None

    shown_lines = wait_for("a few lines in the task log", some_lines_shown, timeout=30)
    try:
        airflow_e2e.restart_component("triggerer")  # a rolling restart: SIGTERM, then a new one
        ti = api.wait_ti(DEFERRED, run_id, TASK, {"success", "failed"}, timeout=120)
    finally:
        airflow_e2e.ensure_running("triggerer")
    assert ti["state"] == "success"
    assert len(hub.jobs()) == 1 and hub.job(job["id"])["stage"] == "COMPLETED"
    events = api.log_events(DEFERRED, run_id, TASK, 1)
    for line in lines:
        plain, replayed = counts(events, line)
        assert plain + replayed >= 1, f"{line!r} is missing:\n{excerpt(events, 120)}"
        assert plain <= 1, f"{line!r} shown {plain} times unmarked:\n{excerpt(events, 120)}"
    assert all(counts(events, line) == (1, 1) for line in shown_lines), excerpt(events, 120)


@pytest.mark.parametrize(
    "dag_id",
    [
        pytest.param("e2e_job_secrets_sync", id="sync"),
        pytest.param("e2e_job_secrets", id="deferred"),
    ],
)
def test_job_secret_printed_by_the_job_is_masked(
    airflow_e2e: AirflowDeployment, api: AirflowApi, hub, dag_runs: DagRuns, dag_id: str
) -> None:
    secret = airflow_e2e.job_secret
    lines = [*job_lines("echo", 2), f"echo: MY_SECRET is {secret}"]
    hub.add_job_scenario(
        "e2e-echo", lines=lines, line_interval=0.1, final_stage="ERROR", message="exit code 1"
    )
    run_id = dag_runs.trigger(dag_id, {"scenario": "e2e-echo"})
    ti = api.wait_ti(dag_id, run_id, TASK, {"success", "failed"}, timeout=150)
    job = only_job(hub)
    assert ti["state"] == "failed"  # the Job ended ERROR: its last lines go into the error message too

    records = api.log(dag_id, run_id, TASK, 1)
    events = [str(record.get("event")) for record in records]
    leaks = [] if "echo: MY_SECRET is ***" in events else ["the forwarded line is not masked"]
    leaks += [
        f"task log (REST) record {record.get('event')!r}"
        for record in records
        if secret in json.dumps(record)
    ]
    # Not the components' own output: the LocalExecutor also echoes task logs to the scheduler's stdout
    # (subprocess_logs_to_stdout) without the task's masks -- Airflow's doing, on both paths.
    leaks += [f"file {name}" for name in airflow_e2e.files_containing(secret, airflow_e2e.logs_dir)]
    leaks += [f"DB table {table}" for table in airflow_e2e.db_dump_containing(secret)]
    for key in api.xcom_keys(dag_id, run_id, TASK):
        if secret in json.dumps(api.xcom(dag_id, run_id, TASK, key)):
            leaks.append(f"XCom {key}")
    assert not leaks, f"the secret printed by Job {job['id']} leaked:\n" + "\n".join(leaks)
