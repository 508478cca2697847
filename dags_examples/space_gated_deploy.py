"""Gated deploy: train on a Hub Job, and ship the Space's app only if the model is good enough.

``space_gated_deploy``: train (a Hub Job that prints ``eval_accuracy=<x>``) -> gate (reads that
line from the Job's log and fails the run below ``min_accuracy``) -> deploy (pushes ``space_app/``
to the Space and waits until the Space runs that commit, streaming the build and run logs; a failed
build fails here with the Hub's error and the last build lines) -> smoke (the Space's own host must
answer ``smoke_path`` with 200 and ``smoke_text``).

``space_settings_restart``, the other way to change a running Space: variables and a secret ->
hardware -> restart (waits for the new run) -> the same smoke check.

Params are plain strings and numbers, so the trigger form edits them as they are (``train_script``
is the script's text, one field). The Space's ``INFERENCE_API_KEY`` comes from
``SPACE_INFERENCE_API_KEY`` in the worker's environment; there is no default. Point
``hfhub_default`` at https://huggingface.co with a write token to run them for real.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow.sdk import DAG, task

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.operators.spaces import (
    HfDeploySpaceOperator,
    HfRequestSpaceHardwareOperator,
    HfRestartSpaceOperator,
    HfSpaceSmokeTestOperator,
    HfSpaceVariablesOperator,
)

TRAIN = """for epoch in range(1, 4):
    print(f"epoch {epoch}/3 loss={1 / epoch:.3f}", flush=True)
print("eval_accuracy=0.91", flush=True)
"""
METRIC = re.compile(r"\beval_accuracy=([0-9]*\.?[0-9]+)")
APP_FOLDER = str(Path(__file__).resolve().parent / "space_app")
SPACE = "{{ params.space_repo_id }}"
SMOKE = {"path": "{{ params.smoke_path }}", "expected_text": "{{ params.smoke_text }}", "timeout": 600}
PARAMS: dict[str, Any] = {
    "space_repo_id": "my-org/my-model-demo",
    "smoke_path": "/",
    "smoke_text": "gradio",
}


@task
def gate(job: dict[str, Any], min_accuracy: float) -> float:
    """Fail the run (no retries) unless the Job's last ``eval_accuracy=`` line clears the bar."""
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

    found = [
        float(match.group(1))
        for line in HfHubHook().fetch_job_logs(job_id=job["id"], namespace=job["namespace"])
        if (match := METRIC.search(line.text))
    ]
    if not found:
        raise AirflowFailException(f"Job {job['id']} printed no eval_accuracy=... line: nothing to judge")
    if found[-1] < float(min_accuracy):
        raise AirflowFailException(f"eval_accuracy {found[-1]} < {min_accuracy}: not deploying")
    print(f"eval_accuracy {found[-1]} >= {min_accuracy}: deploying Job {job['id']}'s model")
    return found[-1]


with DAG(
    dag_id="space_gated_deploy",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    tags=["huggingface", "example", "spaces"],
    doc_md=__doc__,
    params={**PARAMS, "train_script": TRAIN, "min_accuracy": 0.8, "app_folder": APP_FOLDER},
):
    train = HfRunJobOperator(
        task_id="train",
        image="python:3.12",
        command=["python", "-c", "{{ params.train_script }}"],  # the script stays one argument
        flavor="cpu-basic",
        timeout="1h",
        deferrable=True,
        execution_timeout=timedelta(hours=2),
    )
    deploy = HfDeploySpaceOperator(
        task_id="deploy",
        repo_id=SPACE,
        folder_path="{{ params.app_folder }}",
        commit_message="Deploy the model of Job {{ ti.xcom_pull(task_ids='train')['id'] }}",
        deferrable=True,
        startup_timeout=30 * 60,
        execution_timeout=timedelta(hours=1),
    )
    smoke = HfSpaceSmokeTestOperator(task_id="smoke", repo_id=SPACE, **SMOKE)
    gate(train.output, "{{ params.min_accuracy }}") >> deploy >> smoke


@task
def set_secrets(repo_id: str) -> list[str]:
    """Set the Space's INFERENCE_API_KEY from the worker's environment; no key, no deploy.

    Read here, when the task runs, not when the file is parsed: secrets are never templated (they
    would show in the UI's rendered fields), and a default would deploy a known key.
    """
    from airflow.providers.common.compat.sdk import mask_secret

    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

    value = os.environ.get("SPACE_INFERENCE_API_KEY")
    if not value:
        raise AirflowFailException(
            "SPACE_INFERENCE_API_KEY is not set on the worker: the Space's INFERENCE_API_KEY has no "
            "default. Set it (or read it from your secrets backend here) and run again."
        )
    mask_secret(value)  # before anything can log it
    HfHubHook().add_space_secret(repo_id, "INFERENCE_API_KEY", value)
    return ["INFERENCE_API_KEY"]


with DAG(
    dag_id="space_settings_restart",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    tags=["huggingface", "example", "spaces"],
    doc_md=__doc__,
    params={**PARAMS, "model_repo_id": "my-org/my-model", "hardware": "cpu-upgrade"},
):
    variables = HfSpaceVariablesOperator(
        task_id="set_variables", repo_id=SPACE, variables={"MODEL_REPO_ID": "{{ params.model_repo_id }}"}
    )
    # The restart below rebuilds the Space anyway: it is the task that waits.
    hardware = HfRequestSpaceHardwareOperator(
        task_id="request_hardware", repo_id=SPACE, hardware="{{ params.hardware }}", wait_for_running=False
    )
    restart = HfRestartSpaceOperator(
        task_id="restart",
        repo_id=SPACE,
        deferrable=True,
        startup_timeout=30 * 60,
        execution_timeout=timedelta(hours=1),
    )
    smoke_after_restart = HfSpaceSmokeTestOperator(task_id="smoke", repo_id=SPACE, **SMOKE)
    [variables, set_secrets(SPACE)] >> hardware >> restart >> smoke_after_restart
