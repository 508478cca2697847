"""``make demo``: the example DAGs through Airflow's real deferral path, on the fake Hub.

Starts the fake Hub in its own process (Jobs run as local processes), points ``hfhub_default`` at
it and runs ``airflow dags test`` (triggers run inline: the Job's and the Space's log lines print as
they stream):

1. ``hfhub_job_logs``: a Job with live logs; prints where the Job's link points, what it used and cost.
2. ``space_gated_deploy``: train -> gate -> Space variables/secrets -> hardware -> restart -> smoke.
3. the same deploy with the Space's build told to fail: it must fail at ``restart`` with the Hub's error.
4. ``hfhub_taskflow``: an ``@task.hfhub_job`` function runs in a Job; its return value feeds ``gate``.

Everything it starts it stops, by process id.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from airflow_provider_hfhub.testing import FakeHub

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / ".demo" / "airflow"
SPACE = "fake-user/demo-space"
SPACE_SCENARIO = {
    "build_lines": [
        "Step 1/3 : FROM python:3.12",
        "Step 2/3 : RUN pip install -r requirements.txt",
        "Step 3/3 : COPY . .",
    ],
    "run_lines": ["Loading model", "Running on local URL:  http://0.0.0.0:7860"],
    "build_seconds": 1.0,
}
DEPLOY_CONF = json.dumps({"space_repo_id": SPACE, "smoke_url": "{endpoint}/api/spaces/{repo_id}/runtime"})


def run(cmd: list[str], env: dict[str, str], quiet: bool = False) -> None:
    print(f"$ {' '.join(cmd)}", flush=True)
    output = subprocess.DEVNULL if quiet else None
    subprocess.run(cmd, env=env, check=True, stdout=output, stderr=output)


def start_fake_hub(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    hub = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_hfhub.testing.fake_hub",
            "--port",
            "0",
            "--stage-lag",
            "1.0",
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert hub.stdout is not None
    url = hub.stdout.readline().strip()
    if not url.startswith("http"):
        hub.kill()
        raise SystemExit(f"the fake Hub did not start (printed {url!r})")
    print(f"Fake Hub (pid {hub.pid}) at {url}", flush=True)
    return hub, url


def dags_test(airflow: str, env: dict[str, str], dag_id: str, *args: str) -> None:
    # `airflow dags test` exits 0 or 1 with the run's outcome; the state is checked from the DB.
    print(f"$ airflow dags test {dag_id} {' '.join(args)}", flush=True)
    subprocess.run([airflow, "dags", "test", dag_id, *args], env=env, check=False)


def expect(actual: str, wanted: str) -> None:
    if actual != wanted:
        raise SystemExit(f"demo failed: expected {wanted}, got {actual}")


def _cli(airflow: str, env: dict[str, str], *args: str) -> str:
    """The output of an ``airflow`` command that must succeed."""
    return subprocess.run([airflow, *args], env=env, check=True, capture_output=True, text=True).stdout


def _runs(airflow: str, env: dict[str, str], dag_id: str) -> list[dict[str, str]]:
    """The DAG's runs, as `airflow dags list-runs` lists them."""
    return _json_list(_cli(airflow, env, "dags", "list-runs", dag_id, "-o", "json"))


def task_state(airflow: str, env: dict[str, str], dag_id: str, task_id: str) -> str:
    run_id = _runs(airflow, env, dag_id)[0]["run_id"]
    return _cli(airflow, env, "tasks", "state", dag_id, task_id, run_id).strip().splitlines()[-1]


def _json_list(output: str) -> list[dict[str, str]]:
    """The JSON list in a CLI's output (log lines may come before it)."""
    for line in output.splitlines():
        if line.startswith(("[{", "[]")):
            result: list[dict[str, str]] = json.loads(line)
            return result
    raise SystemExit(f"no JSON list in: {output[-500:]}")


def usage_and_cost(dag_id: str, task_id: str) -> str:
    """What a Job task's result says the Job used and cost, read from the demo's own metadata DB."""
    import sqlite3

    from airflow_provider_hfhub.hub.cost import PRICING_URL, ROUNDING_RULE
    from airflow_provider_hfhub.hub.usage import describe

    with sqlite3.connect(HOME / "airflow.db") as db:
        row = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = 'return_value' "
            "ORDER BY timestamp DESC LIMIT 1",
            (dag_id, task_id),
        ).fetchone()
    result = json.loads(row[0]) if row else {}
    result = json.loads(result) if isinstance(result, str) else result  # stored as a JSON string
    used = describe(result["usage"]) if result.get("usage") else "no metric sample arrived"
    cost = result.get("cost_usd")
    spent = f"${cost:.6f} ({ROUNDING_RULE}; {PRICING_URL})" if cost is not None else "unknown"
    return f"Job {result.get('id')} used: {used}\nJob {result.get('id')} cost: {spent}"


def last_run_state(airflow: str, dag_id: str, env: dict[str, str]) -> str:
    runs = _runs(airflow, env, dag_id)
    return str(runs[0]["state"]) if runs else "missing"


def taskflow_demo(airflow: str, env: dict[str, str]) -> None:
    """A TaskFlow function run as a Job (the fake Hub runs the generated script); ``gate`` gets its result."""
    dags_test(airflow, env, "hfhub_taskflow")
    expect(last_run_state(airflow, "hfhub_taskflow", env), "success")
    expect(task_state(airflow, env, "hfhub_taskflow", "gate"), "success")
    print("The Job's return value reached `gate` through XCom, as it should.", flush=True)


def main() -> int:
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags_examples"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SPACE_INFERENCE_API_KEY": "demo-inference-key",  # the gated deploy has no default key
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    run([airflow, "db", "migrate"], env, quiet=True)
    hub, url = start_fake_hub(env)
    try:
        env["AIRFLOW_CONN_HFHUB_DEFAULT"] = json.dumps(
            {"conn_type": "hfhub", "host": url, "password": "hf_fake_token"}
        )
        fake = FakeHub(url)
        dags_test(airflow, env, "hfhub_job_logs")
        expect(last_run_state(airflow, "hfhub_job_logs", env), "success")
        for job in fake.jobs():
            print(
                f"Job {job['id']} ended {job['stage']}; its link points to {url}/jobs/fake-user/{job['id']}"
            )
        print(usage_and_cost("hfhub_job_logs", "train"), flush=True)

        fake.add_space(SPACE, **SPACE_SCENARIO)
        dags_test(airflow, env, "space_gated_deploy", "-c", DEPLOY_CONF)
        expect(last_run_state(airflow, "space_gated_deploy", env), "success")

        error = "ERROR: No matching distribution found for torch==9.9"
        fake.add_space(SPACE, **SPACE_SCENARIO, outcome="BUILD_ERROR", error_message=error)
        dags_test(airflow, env, "space_gated_deploy", "-c", DEPLOY_CONF)
        expect(last_run_state(airflow, "space_gated_deploy", env), "failed")
        expect(task_state(airflow, env, "space_gated_deploy", "restart"), "failed")
        print("The deploy failed at `restart` with the Hub's error, as it should.", flush=True)
        taskflow_demo(airflow, env)
        return 0
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(timeout=15)


if __name__ == "__main__":
    sys.exit(main())
