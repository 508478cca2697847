"""DAGs for the end-to-end suite (tests/e2e): one Job or Space task each, on the fake Hub.

The fake Hub scenario of a Job comes from the run's conf (``{"scenario": ...}``) through the Job's
environment (``FAKE_HUB_SCENARIO``); the Space from ``{"repo_id": ...}``. The Job secret comes from the
environment of the Airflow processes (``E2E_JOB_SECRET``), so it is in neither this file nor the DB.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.operators.spaces import HfRestartSpaceOperator

JOB = {
    "image": "python:3.12",
    "command": ["python", "-c", "print('e2e')"],
    "env": {"FAKE_HUB_SCENARIO": "{{ dag_run.conf['scenario'] }}"},
    "poll_interval": 5.0,
}


def job_dag(dag_id: str, **task_kwargs: object) -> DAG:
    with DAG(dag_id, start_date=datetime(2026, 1, 1), schedule=None, catchup=False, tags=["e2e"]) as dag:
        HfRunJobOperator(task_id="job", **{**JOB, **task_kwargs})
    return dag


job_dag("e2e_job_deferred", deferrable=True)
job_dag("e2e_job_timeout", deferrable=True, execution_timeout=timedelta(seconds=20))
job_dag("e2e_job_sync_retry", deferrable=False, retries=1, retry_delay=timedelta(seconds=1))
SECRETS = {"MY_SECRET": os.environ.get("E2E_JOB_SECRET", "unset")}
job_dag("e2e_job_secrets", deferrable=True, secrets=SECRETS)
job_dag("e2e_job_secrets_sync", deferrable=False, secrets=SECRETS)

# The distributed profile (tests/e2e/test_distributed_e2e.py): 50 mapped deferred Jobs, one per command.
MAPPED_JOBS = 50
with DAG("e2e_job_mapped", start_date=datetime(2026, 1, 1), schedule=None, catchup=False, tags=["e2e"]):
    HfRunJobOperator.partial(
        task_id="job", deferrable=True, **{k: v for k, v in JOB.items() if k != "command"}
    ).expand(command=[["python", "-c", f"print({index})"] for index in range(MAPPED_JOBS)])

with DAG("e2e_space_restart", start_date=datetime(2026, 1, 1), schedule=None, catchup=False, tags=["e2e"]):
    HfRestartSpaceOperator(
        task_id="restart",
        repo_id="{{ dag_run.conf['repo_id'] }}",
        deferrable=True,
        poll_interval=5.0,
        startup_timeout=120,
    )
