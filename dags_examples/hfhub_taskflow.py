"""A TaskFlow function that runs on Hub hardware: its return value feeds the next task.

``@task.hfhub_job`` sends the function's source and arguments to a Hub Job (inside its command's
environment, nothing is uploaded), streams the Job's log into the task log, and returns what the
function returns. Everything the function uses is imported inside it; packages go in
``dependencies`` (this one needs none, so it also runs offline on the fake Hub of ``make demo``).
For a GPU, change the decorator: ``@task.hfhub_job(flavor="a10g-small", dependencies=["torch"])``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

with DAG(
    dag_id="hfhub_taskflow",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    tags=["huggingface", "example"],
    doc_md=__doc__,
):

    @task.hfhub_job(timeout="30m", deferrable=True, execution_timeout=timedelta(hours=1))
    def evaluate(model_id: str, examples: list[dict]) -> dict:
        """Score a (toy) model on examples; runs in the Hub Job."""
        import platform

        print(f"evaluating {model_id} on {len(examples)} examples, Python {platform.python_version()}")
        correct = sum(1 for example in examples if len(example["text"]) % 2 == example["label"])
        return {"accuracy": correct / len(examples), "examples": len(examples)}

    @task
    def gate(accuracy: float, examples: int) -> str:
        """Runs on the worker, with the Job's return value."""
        if accuracy < 0.5:
            raise ValueError(f"accuracy {accuracy:.2f} on {examples} examples is below 0.5")
        return f"accuracy {accuracy:.2f} on {examples} examples: good to ship"

    scores = evaluate(
        "my-org/sentiment-tiny",
        [
            {"text": "great", "label": 1},
            {"text": "awful!", "label": 0},
            {"text": "fine", "label": 0},
            {"text": "meh", "label": 0},
        ],
    )
    gate(scores["accuracy"], scores["examples"])
