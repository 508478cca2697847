"""HfRestartSpaceOperator on a real Airflow deployment, through the deferrable path."""

from __future__ import annotations

import json

import pytest

from .deployment import AirflowApi
from .helpers import DagRuns, excerpt, job_lines

pytestmark = pytest.mark.timeout(300)

DAG_ID = "e2e_space_restart"
TASK = "restart"
TRIGGER_LOGGER = "airflow_provider_hfhub.triggers.spaces.HfSpaceTrigger"


def _space(hub, name: str, **options: object) -> str:
    repo_id = f"{hub.user}/{name}"
    hub.add_space(repo_id, stage="RUNNING", line_interval=0.3, build_seconds=6, **options)
    return repo_id


def _lines_from_trigger(api: AirflowApi, run_id: str) -> list[str]:
    return [
        str(record.get("event"))
        for record in api.log(DAG_ID, run_id, TASK, 1)
        if record.get("logger") == TRIGGER_LOGGER
    ]


def test_space_restart_streams_build_and_run_logs(api: AirflowApi, hub, dag_runs: DagRuns) -> None:
    build, run = job_lines("space build", 4), job_lines("space run", 3)
    repo_id = _space(hub, "e2e-space-ok", build_lines=build, run_lines=run)
    run_id = dag_runs.trigger(DAG_ID, {"repo_id": repo_id})
    api.wait_ti(DAG_ID, run_id, TASK, "deferred", timeout=120)
    ti = api.wait_ti(DAG_ID, run_id, TASK, {"success", "failed"}, timeout=90)

    events = api.log_events(DAG_ID, run_id, TASK, 1)
    assert ti["state"] == "success", excerpt(events)
    from_trigger = _lines_from_trigger(api, run_id)
    for line in build + run:  # streamed by the trigger, each once
        assert from_trigger.count(line) == 1, f"{line!r}:\n{excerpt(events)}"
        assert events.count(line) == 1, f"{line!r}:\n{excerpt(events)}"
    state = hub.space_state(repo_id)
    assert len(state["restarts"]) == 1
    result = api.xcom(DAG_ID, run_id, TASK, "return_value")
    assert result["repo_id"] == repo_id and result["stage"] == "RUNNING"
    space_url = api.xcom(DAG_ID, run_id, TASK, "space_url")
    assert space_url and repo_id in space_url
    assert api.xcom(DAG_ID, run_id, TASK, "_link_HfSpaceLink") == space_url


def test_space_build_error_fails_the_task_with_the_error(api: AirflowApi, hub, dag_runs: DagRuns) -> None:
    build = job_lines("space broken build", 3)
    error = "e2e: pip install failed (exit code 1)"
    repo_id = _space(hub, "e2e-space-broken", build_lines=build, outcome="BUILD_ERROR", error_message=error)
    run_id = dag_runs.trigger(DAG_ID, {"repo_id": repo_id})
    api.wait_ti(DAG_ID, run_id, TASK, "deferred", timeout=120)
    ti = api.wait_ti(DAG_ID, run_id, TASK, {"success", "failed"}, timeout=90)

    records = api.log(DAG_ID, run_id, TASK, 1)
    events = [str(record.get("event")) for record in records]
    assert ti["state"] == "failed", excerpt(events)
    # The task fails with the Hub's error message (in the "Task failed with exception" record's
    # error_detail), and the build log, the error's line included, came through the trigger.
    failures = [record for record in records if record.get("event") == "Task failed with exception"]
    assert len(failures) == 1, excerpt(events)
    detail = json.dumps(failures[0].get("error_detail"))
    assert "SpaceError" in detail and f"Space {repo_id} ended BUILD_ERROR: {error}" in detail, detail
    from_trigger = _lines_from_trigger(api, run_id)
    for line in [*build, error]:
        assert from_trigger.count(line) == 1, excerpt(events)
    assert ti["try_number"] == 1
