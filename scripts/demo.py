"""``make demo``: the example DAGs through Airflow's real deferral path, on the fake Hub.

Starts the fake Hub in its own process (Jobs run as local processes), points ``hfhub_default`` at
it and runs ``airflow dags test`` for each step in ``STEPS`` (triggers run inline). The console
shows what the provider says (the Hub's log lines, links, outcomes) and what the tasks print;
Airflow's own logging goes whole to ``.demo/airflow.log``, whose path is printed. Each step checks
its outcome; the last line is the verdict, and the exit status is 1 when any check failed.

To add a step: write ``def my_step(demo: Demo) -> None`` (``demo.dags_test``, ``demo.check``,
``demo.say``, ``demo.hub``) and append ``Step("title", my_step)`` to ``STEPS``.

Everything it starts it stops, by process id.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from airflow_provider_hfhub.testing import FakeHub

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".demo"
LOG = WORK / "airflow.log"
SPACE = "fake-user/demo-space"
SPACE_SCENARIO = {
    "build_lines": [
        "Step 1/3 : FROM python:3.12",
        "Step 2/3 : RUN pip install -r requirements.txt",
        "Step 3/3 : COPY . .",
    ],
    "run_lines": ["Loading model", "Running on local URL:  http://0.0.0.0:7860"],
    "build_seconds": 1.0,
    "app_body": "<gradio-app>demo</gradio-app>",  # what the Space's own (loopback) host answers
}
BROKEN_SPACE = f"{SPACE}-broken"
# hfhub_model_asset's repos (dags_examples/hfhub_model_asset.py), made in the fake Hub's org my-org.
ASSET_MODEL, ASSET_SPACE = "my-org/my-model", "my-org/my-model-demo"
BUILD_ERROR = "ERROR: No matching distribution found for torch==9.9"

# One structlog record as Airflow prints it: "<time> [<level>] <message> [<logger>] key=value ...",
# over several lines when the message has several; its last line carries the "[logger]" part.
_START = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \[")
_END = re.compile(r" \[[A-Za-z_][\w.]*\]( \w+=.*)?$")
_RECORD = re.compile(r"^\S+ \[(?P<level>\w+)\s*\] (?P<message>.*) \[(?P<logger>[A-Za-z_][\w.]*)\]", re.DOTALL)
# The provider's records: its operators' task logs, its triggers (the Hub's lines), its hook.
_OURS = ("airflow_provider_hfhub.", "airflow.task.operators.airflow_provider_hfhub.")


class ConsoleFilter:
    """Pick from Airflow's output what the console shows: the provider's records and task prints."""

    def __init__(self) -> None:
        self.record: list[str] = []  # the lines of a record not finished yet
        self.traceback = False  # in the traceback Airflow prints after its "Task failed" record

    def feed(self, line: str) -> list[str]:
        """The console lines for one output line (none while a record is still open)."""
        if not self.record and not _START.match(line):
            # Outside any record: what a task printed, except Python's own warnings and tracebacks
            # (the provider's own error record above it already says what failed).
            self.traceback = self.traceback or line.startswith("Traceback (most recent call last):")
            shown = line.strip() and not self.traceback and not re.search(r"\w+Warning: ", line)
            return [line] if shown else []
        self.traceback = False
        self.record.append(line)
        if not _END.search(line):
            return []
        record, self.record = _RECORD.match("\n".join(self.record)), []
        if not record or not record["logger"].startswith(_OURS):
            return []
        level = record["level"]
        prefix = "" if level in ("info", "debug") else f"{level.upper()}: "
        return (prefix + record["message"].rstrip()).splitlines()


@dataclass
class Demo:
    """What a step uses: the environment for ``airflow``, the fake Hub, the log file, the checks."""

    env: dict[str, str]
    airflow: str
    hub: FakeHub
    log: IO[str]
    checks: list[tuple[str, bool]] = field(default_factory=list)
    planned: int = 0

    def say(self, text: str) -> None:
        print(f"  {text}", flush=True)

    def planned_failure(self, *lines: str) -> None:
        """Announce a failure the next run must have, before it happens."""
        self.planned += 1
        print(f"  PLANNED FAILURE: {lines[0]}", flush=True)
        for line in lines[1:]:
            print(f"  {line}", flush=True)

    def check(self, ok: bool, what: str) -> bool:
        """Record one check of the verdict and print it."""
        self.checks.append((what, ok))
        print(f"  {'✓' if ok else '✗ UNEXPECTED:'} {what}", flush=True)
        return ok

    def dags_test(self, dag_id: str, *args: str) -> tuple[str, str]:
        """Run ``airflow dags test``; return the run's state and the lines shown on the console."""
        print(f"  $ airflow dags test {dag_id} {' '.join(args)}".rstrip(), flush=True)
        self.log.write(f"\n$ airflow dags test {dag_id} {' '.join(args)}\n")
        shown: list[str] = []
        with subprocess.Popen(
            [self.airflow, "dags", "test", dag_id, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc:
            assert proc.stdout is not None
            console = ConsoleFilter()
            for line in proc.stdout:
                self.log.write(line)
                for text in console.feed(line.rstrip("\n")):
                    shown.append(text)
                    print(f"    │ {_clip(text)}", flush=True)
        # `airflow dags test` exits 0 or 1 with the outcome; the state is read from the DB.
        return last_run_state(self.airflow, dag_id, self.env), "\n".join(shown)


def _clip(text: str, width: int = 150) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Demo], None]


def job_with_live_logs(demo: Demo) -> None:
    state, shown = demo.dags_test("hfhub_job_logs")
    demo.check(state == "success", f"hfhub_job_logs ended {state} (expected success)")
    demo.check("epoch 5/5 loss=0.200" in shown, "the Job's lines reached the task log as they streamed")
    for job in demo.hub.jobs():
        demo.say(
            f"Job {job['id']} ended {job['stage']}; its link points to {demo.hub.url}/jobs/fake-user/{job['id']}"
        )
    for line in usage_and_cost("hfhub_job_logs", "train").splitlines():
        demo.say(line)


def usage_and_cost(dag_id: str, task_id: str) -> str:
    """What a Job task's result says the Job used and cost, read from the demo's own metadata DB."""
    import sqlite3

    from airflow_provider_hfhub.hub.cost import PRICING_URL, ROUNDING_RULE
    from airflow_provider_hfhub.hub.usage import describe

    with sqlite3.connect(WORK / "airflow" / "airflow.db") as db:
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


def gated_deploy(demo: Demo) -> None:
    demo.hub.add_space(SPACE, **SPACE_SCENARIO)
    state, shown = demo.dags_test("space_gated_deploy", "-c", json.dumps({"space_repo_id": SPACE}))
    demo.check(state == "success", f"space_gated_deploy ended {state} (expected success)")
    demo.check(
        "Running on local URL:  http://0.0.0.0:7860" in shown, "the Space's build and run lines streamed"
    )
    sha = demo.hub.space_state(SPACE)["sha"]
    demo.check(f"commit {sha}" in shown, f"the Space runs the pushed commit {sha}")
    asked = [r for r in demo.hub.space_requests() if r["space"] == SPACE]
    demo.check(bool(asked), "the smoke check reached the Space's own host, not the Hub")


def failing_deploy(demo: Demo) -> None:
    demo.planned_failure(
        f"the fake Hub fails the Space's build with {BUILD_ERROR!r}.",
        "The run must fail at `deploy` with that error; the errors below are that failure.",
    )
    demo.hub.add_space(BROKEN_SPACE, **SPACE_SCENARIO, outcome="BUILD_ERROR", error_message=BUILD_ERROR)
    state, shown = demo.dags_test("space_gated_deploy", "-c", json.dumps({"space_repo_id": BROKEN_SPACE}))
    deploy = task_state(demo.airflow, demo.env, "space_gated_deploy", "deploy")
    demo.check(state == "failed", f"space_gated_deploy ended {state} (expected failed, as planned)")
    demo.check(deploy == "failed", f"`deploy` ended {deploy} (expected failed, as planned)")
    demo.check(BUILD_ERROR in shown, "the task log gives the Hub's build error")


def asset_driven_deploy(demo: Demo) -> None:
    """A commit on the model fires its watcher trigger; the asset-scheduled DAG runs for it."""
    import asyncio
    import logging

    from huggingface_hub import HfApi

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the push's every request is chatter here
    demo.hub.configure(orgs=["fake-org", "my-org"])
    api = HfApi(endpoint=demo.hub.url, token=demo.hub.token)
    api.create_repo(ASSET_MODEL)
    demo.hub.add_space(ASSET_SPACE, **SPACE_SCENARIO)
    os.environ["AIRFLOW_CONN_HFHUB_DEFAULT"] = demo.env["AIRFLOW_CONN_HFHUB_DEFAULT"]  # the trigger here
    event = asyncio.run(_first_commit_event(demo.hub, api))
    demo.say(f"HfRepoCommitTrigger fired for {event['uri']}: {event['commit_id']} {event['title']!r}")
    state, shown = demo.dags_test("hfhub_model_asset", "-c", json.dumps({"commit": event["commit_id"]}))
    demo.check(state == "success", f"hfhub_model_asset ended {state} (expected success)")
    demo.check(f"at {event['commit_id']}" in shown, "the evaluation Job got the new commit")


async def _first_commit_event(hub: FakeHub, api: object) -> dict[str, object]:
    """Run the model's watcher trigger, push a commit once it follows the repo, take its event."""
    import asyncio

    from airflow_provider_hfhub.triggers.repos import HfRepoCommitTrigger

    events = HfRepoCommitTrigger(repo_id=ASSET_MODEL, poll_interval=0.5).run()
    first = asyncio.ensure_future(events.__anext__())
    while not [r for r in hub.requests() if "/commits/" in r["path"]]:
        await asyncio.sleep(0.1)  # until the trigger has read the head it starts from
    push = api.upload_file  # type: ignore[attr-defined]
    await asyncio.to_thread(
        push, path_or_fileobj=b"weights v2", path_in_repo="model.bin", repo_id=ASSET_MODEL,
        commit_message="Fine-tune on the new data",
    )  # fmt: skip
    event = await asyncio.wait_for(first, 30)
    await events.aclose()
    return dict(event.payload)


def taskflow_function_in_a_job(demo: Demo) -> None:
    """An ``@task.hfhub_job`` function runs in a Job (the fake Hub runs the generated script)."""
    state, _ = demo.dags_test("hfhub_taskflow")
    gate = task_state(demo.airflow, demo.env, "hfhub_taskflow", "gate")
    demo.check(state == "success", f"hfhub_taskflow ended {state} (expected success)")
    demo.check(gate == "success", "the remote function's return value reached `gate` through XCom")


STEPS = [
    Step("A Job with its log live in the task log", job_with_live_logs),
    Step("A gated Space deploy: train, gate, push and wait for that build, smoke", gated_deploy),
    Step("The same deploy with a failing build (planned failure)", failing_deploy),
    Step("A TaskFlow function run as a Job, its result in XCom", taskflow_function_in_a_job),
    Step("A new commit on a model repo (an Asset) evaluates it and deploys the Space", asset_driven_deploy),
]


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


def start_fake_hub(env: dict[str, str], log: IO[str]) -> tuple[subprocess.Popen[str], str]:
    cmd = [
        sys.executable,
        "-m",
        "airflow_provider_hfhub.testing.fake_hub",
        "--port",
        "0",
        "--stage-lag",
        "1.0",
    ]
    hub = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    assert hub.stdout is not None
    url = hub.stdout.readline().strip()
    if not url.startswith("http"):
        hub.kill()
        raise SystemExit(f"the fake Hub did not start (printed {url!r}; see {LOG})")
    return hub, url


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    home = WORK / "airflow"
    home.mkdir(parents=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags_examples"),
        # `airflow dags test` runs triggers inline, with no scheduler to race (triggers/base.py).
        "AIRFLOW__HFHUB__EARLY_EVENT_HOLD_SECONDS": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SPACE_INFERENCE_API_KEY": "demo-inference-key",  # the gated deploy has no default key
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    with LOG.open("w") as log:
        print(f"Airflow's own output goes to {LOG}", flush=True)
        log.write("$ airflow db migrate\n")
        log.flush()
        if subprocess.run([airflow, "db", "migrate"], env=env, stdout=log, stderr=log).returncode:
            print(f"VERDICT: FAILED, `airflow db migrate` failed (see {LOG})")
            return 1
        hub, url = start_fake_hub(env, log)
        print(f"Fake Hub (pid {hub.pid}) at {url}", flush=True)
        env["AIRFLOW_CONN_HFHUB_DEFAULT"] = FakeHub(url).airflow_connection()
        demo = Demo(env=env, airflow=airflow, hub=FakeHub(url), log=log)
        try:
            for number, step in enumerate(STEPS, 1):
                print(f"\n── {number}. {step.title} " + "─" * max(0, 70 - len(step.title)), flush=True)
                try:
                    step.run(demo)
                except Exception as exc:  # one broken step must not hide the others' outcome
                    demo.check(False, f"step {number} raised {exc!r}")
                log.flush()
        finally:
            hub.send_signal(signal.SIGTERM)
            hub.wait(timeout=15)
    failed = [what for what, ok in demo.checks if not ok]
    print(f"\nAirflow's own output: {LOG}")
    if failed:
        print(
            f"VERDICT: FAILED, {len(failed)} of {len(demo.checks)} checks did not hold: {'; '.join(failed)}"
        )
        return 1
    print(f"VERDICT: OK, all {len(demo.checks)} checks held ({demo.planned} planned failure(s), as planned)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
