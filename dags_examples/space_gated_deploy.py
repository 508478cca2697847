"""Gated deploy: train on a Hub Job, and deploy to a Space only if the model is good enough.

train (a Hub Job that prints ``eval_accuracy=<x>``) -> gate (reads that line from the Job's log and
fails the run below ``min_accuracy``) -> Space variables and secrets -> hardware -> restart (waits
for the new run to be RUNNING, streaming the build and run logs; a failed build fails here with the
Hub's error and the last build lines) -> smoke (an HTTP GET on the Space that must answer 200).

Params: ``space_repo_id``, ``train_command`` (a list), ``hardware``, ``min_accuracy`` and
``smoke_url`` (``{subdomain}``, ``{endpoint}`` and ``{repo_id}`` are filled in; the default is the
Space's app). The Space's ``INFERENCE_API_KEY`` comes from ``SPACE_INFERENCE_API_KEY`` in the
worker's environment; there is no default. Point ``hfhub_default`` at https://huggingface.co with a
write token to run it for real.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow.sdk import DAG, task

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.operators.spaces import (
    HfRequestSpaceHardwareOperator,
    HfRestartSpaceOperator,
    HfSpaceVariablesOperator,
)

TRAIN = """
for epoch in range(1, 4):
    print(f"epoch {epoch}/3 loss={1 / epoch:.3f}", flush=True)
print("eval_accuracy=0.91", flush=True)
"""
METRIC = re.compile(r"\beval_accuracy=([0-9]*\.?[0-9]+)")
SPACE = "{{ params.space_repo_id }}"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def space_subdomain(repo_id: str) -> str:
    """``my-org/My_Demo`` -> ``my-org-my-demo``: the Space app's host is ``<this>.hf.space``."""
    return re.sub(r"[^a-z0-9-]", "-", repo_id.replace("/", "-").lower())


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme)


def token_may_go_to(url: str, endpoint: str, repo_id: str) -> bool:
    """Only the Hub itself and this Space's own app get the token: scheme, host and port compared
    exactly, never by prefix or substring (``https://huggingface.co.evil.net/`` is not the Hub)."""
    space_app = ("https", f"{space_subdomain(repo_id)}.hf.space", 443)
    return _origin(url) in (_origin(endpoint), space_app)


with DAG(
    dag_id="space_gated_deploy",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    tags=["huggingface", "example", "spaces"],
    doc_md=__doc__,
    # train_command is a list param: render it as a list, not as its text.
    render_template_as_native_obj=True,
    params={
        "space_repo_id": "my-org/my-model-demo",
        "train_command": ["python", "-c", TRAIN],
        "hardware": "cpu-upgrade",
        "min_accuracy": 0.8,
        "smoke_url": "https://{subdomain}.hf.space/",
    },
):
    train = HfRunJobOperator(
        task_id="train",
        image="python:3.12",
        command="{{ params.train_command }}",  # a list once rendered (native rendering)
        flavor="cpu-basic",
        timeout="1h",
        deferrable=True,
        execution_timeout=timedelta(hours=2),
    )

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

    accuracy = gate(train.output, "{{ params.min_accuracy }}")

    variables = HfSpaceVariablesOperator(
        task_id="set_variables",
        repo_id=SPACE,
        variables={
            "MODEL_JOB_ID": "{{ ti.xcom_pull(task_ids='train')['id'] }}",
            "EVAL_ACCURACY": "{{ ti.xcom_pull(task_ids='gate') }}",
        },
    )

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

    secrets = set_secrets(SPACE)
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

    @task
    def smoke(space: dict[str, Any], url_template: str) -> int:
        """GET the deployed Space; anything but 200 fails the run."""
        import httpx

        from airflow_provider_hfhub.hooks.hfhub import HfHubHook

        config = HfHubHook().get_config()
        repo_id = space["repo_id"]
        url = url_template.format(
            subdomain=space_subdomain(repo_id), endpoint=config.endpoint, repo_id=repo_id
        )
        # Private Spaces (and the Hub's API) want the token; never send it anywhere else.
        ours = token_may_go_to(url, config.endpoint, repo_id)
        headers = {"authorization": f"Bearer {config.token}"} if ours and config.token else {}
        response = httpx.get(url, headers=headers, timeout=30, follow_redirects=True)
        print(f"GET {url} -> {response.status_code}: {response.text[:200]}")
        if response.status_code != 200:
            raise AirflowFailException(f"Smoke test failed: GET {url} answered {response.status_code}")
        return response.status_code

    accuracy >> [variables, secrets] >> hardware >> restart
    smoke(restart.output, "{{ params.smoke_url }}")
