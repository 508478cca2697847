"""A Job operator whose ``labels`` (a template field) carry a Jinja value, parsed by a real dag-processor."""

from __future__ import annotations

import pytest

from .deployment import AirflowApi, wait_for
from .helpers import DagRuns, only_job

pytestmark = pytest.mark.timeout(300)

DAG_ID = "e2e_job_templated_labels"
DAG_FILE = "e2e_hfhub_labels.py"


def test_templated_labels_are_rendered_onto_the_job(api: AirflowApi, hub, dag_runs: DagRuns) -> None:
    def parsed() -> str | None:
        for error in api.import_errors():
            if str(error.get("filename", "")).endswith(DAG_FILE):
                return f"import error: {error.get('stack_trace', '')[-600:]}"
        return "ok" if DAG_ID in api.dag_ids() else None

    outcome = wait_for(f"{DAG_FILE} to be parsed", parsed, timeout=60)
    assert outcome == "ok", outcome
    hub.add_job_scenario("e2e-labels", lines=["labelled"], line_interval=0.1)
    run_id = dag_runs.trigger(DAG_ID, {"scenario": "e2e-labels"})
    ti = api.wait_ti(DAG_ID, run_id, "job", {"success", "failed"}, timeout=150)
    assert ti["state"] == "success"
    assert only_job(hub)["spec"]["labels"]["fake-scenario"] == "e2e-labels"
