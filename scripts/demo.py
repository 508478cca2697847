"""``make demo``: run the example Job DAG through Airflow's real deferral path on the fake Hub.

Starts the fake Hub in its own process (Jobs run as local processes), points ``hfhub_default`` at
it, runs ``airflow dags test`` (the trigger runs inline and the Job's lines print as they stream),
then prints where the Job's link points. Everything it starts it stops, by process id.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / ".demo" / "airflow"
DAGS = ("hfhub_job_logs",)


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


def jobs(url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{url}/_fake/jobs", timeout=10) as response:
        result: list[dict[str, object]] = json.load(response)
    return result


def last_run_state(airflow: str, dag_id: str, env: dict[str, str]) -> str:
    listing = subprocess.run(
        [airflow, "dags", "list-runs", dag_id, "-o", "json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    runs = json.loads(listing.stdout[listing.stdout.index("[") :])
    return str(runs[0]["state"]) if runs else "missing"


def main() -> int:
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags_examples"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    run([airflow, "db", "migrate"], env, quiet=True)
    hub, url = start_fake_hub(env)
    try:
        env["AIRFLOW_CONN_HFHUB_DEFAULT"] = json.dumps(
            {"conn_type": "hfhub", "host": url, "password": "hf_fake_token"}
        )
        for dag_id in DAGS:
            run([airflow, "dags", "test", dag_id], env)
            state = last_run_state(airflow, dag_id, env)
            print(f"DAG {dag_id}: {state}", flush=True)
            if state != "success":
                return 1
        for job in jobs(url):
            print(
                f"Job {job['id']} ended {job['stage']}; its link points to {url}/jobs/fake-user/{job['id']}"
            )
        failed = [job for job in jobs(url) if job["stage"] != "COMPLETED"]
        return 1 if failed else 0
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(timeout=15)


if __name__ == "__main__":
    sys.exit(main())
