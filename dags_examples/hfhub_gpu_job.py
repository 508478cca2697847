"""A GPU Job that must start within 15 minutes: past that it is cancelled and the task fails.

Hub GPUs can be scarce; ``scheduling_timeout`` bounds the wait for hardware so the pipeline does
not hang (and the queued Job does not start hours later, unwatched and billed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator

with DAG(
    dag_id="hfhub_gpu_job",
    start_date=datetime(2026, 1, 1),
    # No schedule: unpausing this example must not start a paid GPU Job (a10g-large) on its own.
    # Trigger it by hand, or give your copy a schedule.
    schedule=None,
    catchup=False,
    tags=["huggingface", "example", "gpu"],
    params={"model": "Qwen/Qwen2.5-0.5B"},
):
    HfRunJobOperator(
        task_id="finetune",
        image="hf.co/spaces/lhoestq/duckdb",
        command=["python", "train.py", "--model", "{{ params.model }}"],
        flavor="a10g-large",
        timeout="4h",
        labels={"team": "research"},
        scheduling_timeout=15 * 60,
        deferrable=True,
        retries=2,
        retry_delay=timedelta(minutes=5),
        execution_timeout=timedelta(hours=5),
    )
