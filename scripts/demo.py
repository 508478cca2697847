"""``make demo``: the example DAGs through Airflow's real deferral path, on the fake Hub.

Starts the fake Hub in its own process (Jobs run as local processes), points ``hfhub_default`` at
it and runs ``airflow dags test`` (triggers run inline: the Job's and the Space's log lines print as
they stream):

1. ``hfhub_job_logs``: a Job with live logs; prints where the Job's link points.
2. ``space_gated_deploy``: train -> gate -> deploy (push ``space_app/``, wait for that build) -> smoke
   (the Space's own host, a loopback stand-in).
3. the same deploy to a Space whose build is told to fail: it must fail at ``deploy`` with the Hub's error.
4. ``hfhub_model_asset``: a commit on the model repo fires ``HfRepoCommitTrigger``; the DAG then runs
   for that commit (evaluate -> deploy -> smoke).

Everything it starts it stops, by process id.
"""

from __future__ import annotations

import asyncio
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
    "app_body": "<gradio-app>demo</gradio-app>",
}
# hfhub_model_asset's repos (dags_examples/hfhub_model_asset.py), made in the fake Hub's org my-org.
ASSET_MODEL, ASSET_SPACE = "my-org/my-model", "my-org/my-model-demo"


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


def last_run_state(airflow: str, dag_id: str, env: dict[str, str]) -> str:
    runs = _runs(airflow, env, dag_id)
    return str(runs[0]["state"]) if runs else "missing"


def deploy_demos(airflow: str, env: dict[str, str], fake: FakeHub) -> None:
    """The gated deploy, green then with a failing build, and the asset-driven DAG for one commit."""
    fake.add_space(SPACE, **SPACE_SCENARIO)
    dags_test(airflow, env, "space_gated_deploy", "-c", json.dumps({"space_repo_id": SPACE}))
    expect(last_run_state(airflow, "space_gated_deploy", env), "success")
    print(f"Space {SPACE} runs commit {fake.space_state(SPACE)['sha']}; its host answered the smoke check")

    broken = f"{SPACE}-broken"
    error = "ERROR: No matching distribution found for torch==9.9"
    fake.add_space(broken, **SPACE_SCENARIO, outcome="BUILD_ERROR", error_message=error)
    dags_test(airflow, env, "space_gated_deploy", "-c", json.dumps({"space_repo_id": broken}))
    expect(last_run_state(airflow, "space_gated_deploy", env), "failed")
    expect(task_state(airflow, env, "space_gated_deploy", "deploy"), "failed")
    print("The deploy failed at `deploy` with the Hub's error, as it should.", flush=True)

    from huggingface_hub import HfApi

    fake.configure(orgs=["fake-org", "my-org"])
    api = HfApi(endpoint=fake.url, token=fake.token)
    api.create_repo(ASSET_MODEL)
    fake.add_space(ASSET_SPACE, **SPACE_SCENARIO)
    os.environ["AIRFLOW_CONN_HFHUB_DEFAULT"] = env["AIRFLOW_CONN_HFHUB_DEFAULT"]  # for the trigger here
    event = asyncio.run(_first_commit_event(fake, api))
    print(f"HfRepoCommitTrigger fired: {event}", flush=True)
    dags_test(airflow, env, "hfhub_model_asset", "-c", json.dumps({"commit": event["commit_id"]}))
    expect(last_run_state(airflow, "hfhub_model_asset", env), "success")


async def _first_commit_event(fake: FakeHub, api: object) -> dict[str, object]:
    """Run the model repo's watcher trigger, push a commit once it follows the repo, take its event."""
    from airflow_provider_hfhub.triggers.repos import HfRepoCommitTrigger

    events = HfRepoCommitTrigger(repo_id=ASSET_MODEL, poll_interval=0.5).run()
    first = asyncio.ensure_future(events.__anext__())
    while not [r for r in fake.requests() if "/commits/" in r["path"]]:
        await asyncio.sleep(0.1)  # until the trigger has read the head it starts from
    push = api.upload_file  # type: ignore[attr-defined]
    await asyncio.to_thread(
        push, path_or_fileobj=b"weights v2", path_in_repo="model.bin", repo_id=ASSET_MODEL,
        commit_message="Fine-tune on the new data",
    )  # fmt: skip
    event = await asyncio.wait_for(first, 30)
    await events.aclose()
    return dict(event.payload)


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

        deploy_demos(airflow, env, fake)
        return 0
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(timeout=15)


if __name__ == "__main__":
    sys.exit(main())
