"""Run a Python script with uv on the Hub: from a URL, or inline as text (nothing is uploaded)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_hfhub.operators.jobs import HfRunUvJobOperator

INLINE = """\
# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
import platform
print(f"hello from uv on {platform.python_version()}", flush=True)
"""

with DAG(
    dag_id="hfhub_uv_script",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    tags=["huggingface", "example"],
):
    HfRunUvJobOperator(task_id="inline_script", script=INLINE, deferrable=True)

    HfRunUvJobOperator(
        task_id="script_from_url",
        script="https://huggingface.co/datasets/trl-lib/documentation-images/raw/main/sft.py",
        script_args=["--epochs", "1"],
        dependencies=["trl"],
        flavor="a10g-small",
        timeout="2h",
        deferrable=True,
    )
