"""Inline uv scripts run from a file of their own: two Jobs on one machine never share one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from airflow_provider_hfhub.hub import calls
from airflow_provider_hfhub.operators.jobs import HfRunUvJobOperator
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task

SCRIPT = "import sys\nprint('script file:', sys.argv[0])\n"


def test_two_inline_jobs_run_their_scripts_from_separate_files(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake Hub runs each Job's real command here (uv and this interpreter first on PATH).
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    for index in range(2):
        operator = HfRunUvJobOperator(task_id=f"uv{index}", script=SCRIPT, python=python, poll_interval=1)
        assert run_task(operator)["stage"] == "COMPLETED"
    paths = [
        line.split("script file: ", 1)[1]
        for job in hub_connection.jobs()
        for line in job["log"]
        if "script file: " in line
    ]
    assert len(paths) == 2 and len(set(paths)) == 2, paths
    assert calls.INLINE_SCRIPT_PATH not in paths
