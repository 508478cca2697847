"""Run a Hub Job from a DAG and watch its log live in the task log.

The task defers while the Job runs (no worker slot held), the Job's lines stream into the task
log, and the task ends with the Job's outcome. The "Hugging Face Job" link opens the Job's page.
Point the ``hfhub_default`` connection at https://huggingface.co with your token to run it for real.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator

TRAIN = """
import time
for epoch in range(1, 6):
    print(f"epoch {epoch}/5 loss={1 / epoch:.3f}", flush=True)
    time.sleep(0.5)
print("training done", flush=True)
"""

with DAG(
    dag_id="hfhub_job_logs",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    tags=["huggingface", "example"],
    doc_md=__doc__,
):
    train = HfRunJobOperator(
        task_id="train",
        image="python:3.12",
        command=["python", "-c", TRAIN],
        flavor="cpu-basic",
        timeout="30m",
        max_cost_usd=0.05,  # cancel the Job (and fail) once its running cost reaches 5 cents
        env={"PYTHONUNBUFFERED": "1"},
        deferrable=True,
        execution_timeout=timedelta(hours=1),
    )

    @task
    def report(job: dict) -> str:
        print(f"Job {job['id']} ended {job['stage']} after {job['running_seconds']} s: {job['url']}")
        print(f"It cost ${job.get('cost_usd')}; usage: {job.get('usage')}")
        return job["url"]

    report(train.output)
