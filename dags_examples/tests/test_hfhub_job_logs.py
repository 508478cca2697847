"""Test a DAG offline: ``dag.test()`` runs ``hfhub_job_logs`` against the fake Hub.

A template for your own DAG tests. ``fake_hub_connection`` comes with the provider (its pytest
plugin): for the test's duration it points ``hfhub_default`` at a fake Hub on loopback, where the
Job's command runs as a local process and its log streams back as the Hub's does. ``airflow_db``
(conftest.py) gives ``dag.test()`` the metadata DB it records the run in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_hfhub.testing import FakeHub

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 3.1
    from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

DAG_FILE = Path(__file__).resolve().parents[1] / "hfhub_job_logs.py"


def test_hfhub_job_logs_runs_its_job_and_reports_it(
    fake_hub_connection: FakeHub, airflow_db: None, capfd: pytest.CaptureFixture[str]
) -> None:
    dag = DagBag(dag_folder=str(DAG_FILE)).dags["hfhub_job_logs"]

    run = dag.test()  # the deferred `train` task's trigger runs inline, then the task resumes

    assert run.state == "success"
    (job,) = fake_hub_connection.jobs()  # what the Hub received, and what the Job did
    assert job["stage"] == "COMPLETED"
    assert job["spec"]["flavor"] == "cpu-basic" and job["spec"]["dockerImage"] == "python:3.12"
    assert job["spec"]["labels"]["airflow-dag"] == "hfhub_job_logs"
    assert "epoch 5/5 loss=0.200" in job["log"]
    # The Job's lines reached the task log (dag.test() prints task logs), and `report` got the summary.
    assert "epoch 5/5 loss=0.200" in capfd.readouterr().out
    report = run.get_task_instance("report")
    assert report.xcom_pull(task_ids="report") == f"{fake_hub_connection.url}/jobs/fake-user/{job['id']}"
