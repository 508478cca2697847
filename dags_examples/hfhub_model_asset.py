"""A Hub model repo as an Airflow Asset: each new commit on it evaluates the model, then deploys the Space.

``hf://models/<org>/<name>`` is watched by ``HfRepoCommitTrigger`` (one Hub request a minute, one
asset event per new commit, with its id and message); the DAG runs on each event: evaluate (a Hub
Job given the commit id) -> deploy (pushes ``space_app/`` to the Space, waits for that build) ->
smoke. Run by hand (``airflow dags test``), it evaluates ``commit`` from the run's conf, else the
repo's head.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.operators.spaces import HfDeploySpaceOperator, HfSpaceSmokeTestOperator
from airflow_provider_hfhub.triggers.repos import HfRepoCommitTrigger

MODEL = "my-org/my-model"
SPACE = "my-org/my-model-demo"
APP_FOLDER = str(Path(__file__).resolve().parent / "space_app")
EVALUATE = """import sys
print(f"evaluating {sys.argv[1]} at {sys.argv[2]}", flush=True)
print("eval_accuracy=0.93", flush=True)
"""

model = Asset(
    f"hf://models/{MODEL}",
    watchers=[AssetWatcher(name="hf_model_commits", trigger=HfRepoCommitTrigger(repo_id=MODEL))],
)


@task
def which_commit(**context: Any) -> str:
    """The commit the run is about: the asset event's, else ``commit`` in the conf, else the head."""
    for events in (context.get("triggering_asset_events") or {}).values():
        for event in events:
            payload = (event.extra or {}).get("payload") or {}
            if payload.get("commit_id"):
                return str(payload["commit_id"])
    conf = context["dag_run"].conf or {}
    if conf.get("commit"):
        return str(conf["commit"])
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

    return str(HfHubHook().repo_info(MODEL).sha)


with DAG(
    dag_id="hfhub_model_asset",
    start_date=datetime(2026, 1, 1),
    schedule=[model],
    catchup=False,
    tags=["huggingface", "example", "assets"],
    doc_md=__doc__,
):
    commit = which_commit()
    evaluate = HfRunJobOperator(
        task_id="evaluate",
        image="python:3.12",
        command=["python", "-c", EVALUATE, MODEL, "{{ ti.xcom_pull(task_ids='which_commit') }}"],
        flavor="cpu-basic",
        timeout="1h",
        deferrable=True,
        execution_timeout=timedelta(hours=2),
    )
    deploy = HfDeploySpaceOperator(
        task_id="deploy",
        repo_id=SPACE,
        folder_path=APP_FOLDER,
        commit_message=f"Serve {MODEL}@{{{{ ti.xcom_pull(task_ids='which_commit') }}}}",
        deferrable=True,
        startup_timeout=30 * 60,
    )
    smoke = HfSpaceSmokeTestOperator(task_id="smoke", repo_id=SPACE, expected_text="gradio", timeout=600)
    commit >> evaluate >> deploy >> smoke
