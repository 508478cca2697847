"""The example DAGs import with zero errors (what `airflow dags list-import-errors` would show)."""

from __future__ import annotations

from pathlib import Path

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 3.1
    from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

EXAMPLES = Path(__file__).resolve().parents[1] / "dags_examples"


def test_every_example_dag_imports_without_errors() -> None:
    bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    assert {"hfhub_job_logs", "hfhub_uv_script", "hfhub_gpu_job", "hfhub_taskflow"} <= set(bag.dag_ids)
    train = bag.dags["hfhub_job_logs"].get_task("train")
    assert train.deferrable and [link.name for link in train.operator_extra_links] == ["Hugging Face Job"]


def test_taskflow_example_runs_its_function_in_a_job() -> None:
    dag = DagBag(dag_folder=str(EXAMPLES / "hfhub_taskflow.py")).dags["hfhub_taskflow"]
    evaluate = dag.get_task("evaluate")
    assert type(evaluate).__name__ == "HfJobDecoratedOperator" and evaluate.multiple_outputs
    assert evaluate.downstream_task_ids == {"gate"}


def test_no_example_dag_runs_by_itself_and_the_example_tests_are_no_dags() -> None:
    """Unpausing an install starts nothing: each example has no schedule (they start paid Hub work)."""
    bag = DagBag(dag_folder=str(EXAMPLES))
    # dags_examples/tests/ holds tests, not DAGs (.airflowignore): its conftest would set AIRFLOW_HOME.
    assert [name for name in bag.file_last_changed if "/tests/" in name] == []
    assert (
        bag.dags and {dag_id for dag_id, dag in bag.dags.items() if dag.timetable.can_be_scheduled} == set()
    )
