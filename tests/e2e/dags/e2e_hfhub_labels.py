"""A DAG for the end-to-end suite whose Job labels are templated (``labels`` is a template field)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator

with DAG(
    "e2e_job_templated_labels", start_date=datetime(2026, 1, 1), schedule=None, catchup=False, tags=["e2e"]
):
    HfRunJobOperator(
        task_id="job",
        image="python:3.12",
        command=["python", "-c", "print('e2e')"],
        labels={"fake-scenario": "{{ dag_run.conf['scenario'] }}"},
        deferrable=True,
        poll_interval=5.0,
    )
