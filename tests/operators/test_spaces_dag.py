"""The gated-deploy example DAG imports cleanly, and the Space modules stay cheap to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow < 3.2
    from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

EXAMPLE = Path(__file__).resolve().parents[2] / "dags_examples" / "space_gated_deploy.py"


def test_gated_deploy_dag_imports_with_no_errors() -> None:
    bag = DagBag(dag_folder=str(EXAMPLE))
    assert bag.import_errors == {}
    dag = bag.dags["space_gated_deploy"]  # read from the file: no metadata DB
    downstream = {task.task_id: task.downstream_task_ids for task in dag.tasks}
    assert downstream == {
        "train": {"gate"}, "gate": {"set_variables", "set_secrets"}, "set_variables": {"request_hardware"},
        "set_secrets": {"request_hardware"}, "request_hardware": {"restart"}, "restart": {"smoke"}, "smoke": set(),
    }  # fmt: skip
    assert {"space_repo_id", "train_command"} <= set(dag.params)
    hf_tasks = [t for t in dag.tasks if hasattr(t, "hfhub_conn_id")]
    assert len(hf_tasks) == 4 and {t.hfhub_conn_id for t in hf_tasks} == {"hfhub_default"}


def test_space_operators_and_sensor_import_no_hook_client_or_trigger() -> None:
    code = (
        "import sys\n"
        "import airflow_provider_hfhub.operators.spaces, airflow_provider_hfhub.sensors.spaces\n"
        "heavy = ('hooks.hfhub', 'hub.client', 'hub.async_client', 'hub.transport', 'triggers.spaces')\n"
        "print(sorted(m for m in heavy if 'airflow_provider_hfhub.' + m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
