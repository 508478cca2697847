"""What ``make demo`` shows of Airflow's output: the provider's records and task prints, nothing else.

The lines are as ``airflow dags test`` 3.3.2 printed them in a demo run (``.demo/airflow.log``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "demo.py"
T = "2026-12-01T18:06:26.861437Z"
AIRFLOW_OUTPUT = f"""\
{T} [info     ] DAG bundles loaded: dags-folder [airflow.dag_processing.bundles.manager.DagBundlesManager] loc=manager.py:304
{T} [warning  ] Could not import graphviz. Rendering graph to the graphical format will not be possible.
You might need to install the graphviz package and necessary system packages.
Run `pip install graphviz` to attempt to install it. [py.warnings] category=UserWarning filename=dag_command.py lineno=57
{T} [info     ] epoch 1/3 loss=1.000           [airflow_provider_hfhub.triggers.jobs.HfJobTrigger] loc=log_stream.py:79
{T} [info     ] Hub Job 49d0 (cpu-basic, RUNNING): http://127.0.0.1:1/jobs/fake-user/49d0 [airflow.task.operators.airflow_provider_hfhub.operators.jobs.HfRunJobOperator] loc=jobs.py:120
eval_accuracy 0.91 >= 0.8: deploying Job 49d0's model
/venv/lib/python3.11/site-packages/airflow/providers/common/compat/_compat_utils.py:95 DeprecatedImportWarning: The `x` attribute is deprecated.
{T} [error    ] Space fake-user/demo-space ended BUILD_ERROR: ERROR: No matching distribution
Last log lines:
  ERROR: No matching distribution [airflow_provider_hfhub.triggers.spaces.HfSpaceTrigger] loc=base.py:98
{T} [error    ] Task failed with exception     [task] loc=task_runner.py:1651
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/airflow/sdk/execution_time/task_runner.py", line 1579, in _run_task
    result = _execute_task(context=context, ti=ti, log=log)
airflow_provider_hfhub.operators.space_base.SpaceError: Space fake-user/demo-space ended BUILD_ERROR
{T} [info     ] ::group::Post Execute          [task] loc=task_runner.py:1652
DagRun failed
"""


def test_the_console_shows_the_providers_records_and_task_prints_only() -> None:
    spec = importlib.util.spec_from_file_location("demo_script", SCRIPT)
    assert spec and spec.loader
    demo = importlib.util.module_from_spec(spec)
    sys.modules["demo_script"] = demo  # dataclasses look their module up by name
    spec.loader.exec_module(demo)
    console = demo.ConsoleFilter()

    shown = [text for line in AIRFLOW_OUTPUT.splitlines() for text in console.feed(line)]

    assert shown == [
        "epoch 1/3 loss=1.000",
        "Hub Job 49d0 (cpu-basic, RUNNING): http://127.0.0.1:1/jobs/fake-user/49d0",
        "eval_accuracy 0.91 >= 0.8: deploying Job 49d0's model",
        "ERROR: Space fake-user/demo-space ended BUILD_ERROR: ERROR: No matching distribution",
        "Last log lines:",
        "  ERROR: No matching distribution",
        "DagRun failed",
    ]
