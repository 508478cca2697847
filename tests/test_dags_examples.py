"""The example DAGs import with zero errors (what `airflow dags list-import-errors` would show)."""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 3.1
    from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

EXAMPLES = Path(__file__).resolve().parents[1] / "dags_examples"


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(dag_folder=str(EXAMPLES))


def test_every_example_dag_imports_without_errors(bag: DagBag) -> None:
    assert bag.import_errors == {}
    assert {"hfhub_job_logs", "hfhub_uv_script", "hfhub_gpu_job", "space_gated_deploy", "space_settings_restart",
            "hfhub_model_asset"} <= set(bag.dag_ids)  # fmt: skip
    train = bag.dags["hfhub_job_logs"].get_task("train")
    assert train.deferrable and [link.name for link in train.operator_extra_links] == ["Hugging Face Job"]


def test_gated_deploy_params_are_plain_values_the_trigger_form_keeps(bag: DagBag) -> None:
    """The UI form edits a string param as one field: the training script stays one argument."""
    dag = bag.dags["space_gated_deploy"]
    params = dag.params.dump()
    assert all(isinstance(value, (str, int, float)) for value in params.values())
    assert dag.get_task("train").command == ["python", "-c", "{{ params.train_script }}"]
    assert [t.task_id for t in dag.get_task("deploy").downstream_list] == ["smoke"]
