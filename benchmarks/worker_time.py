"""Worker time: how long a 60 s Job holds a worker slot, deferrable vs sync.

Each path runs in its own interpreter (both at once, each against its own Job on the fake Hub),
the way ``tests/airflow_support.py`` runs operators (its task instance, its trigger round trip):
``HfRunJobOperator.execute(context)``;
deferrable, it raises ``TaskDeferred`` and the trigger is rebuilt from ``serialize()`` and run to
its event (the triggerer's share, not the worker's), then ``execute_complete(context, event)``.
Worker-slot seconds: sync, the whole ``execute``; deferrable, ``execute`` until ``TaskDeferred``
plus ``execute_complete``. Not included on either path: starting the task process (parsing the
DAG file, see ``parse_cost``), which the deferrable path pays twice (start and resume).

``python -m benchmarks.worker_time --seconds 60``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import threading
import time
from typing import Any

from benchmarks._common import (
    PYTHON,
    RESULT,
    ROOT,
    connection_env,
    fake_hub,
    machine,
    print_json,
    progress,
    ratio,
    stop_process,
)

RATE = 2.0  # lines per second, as in the fleet


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(path: str, scenario: str) -> dict[str, Any]:
    """Run one task on ``path`` (``sync`` or ``deferrable``) and time its worker-slot share."""
    from airflow.providers.common.compat.sdk import TaskDeferred
    from airflow.sdk.log import configure_logging, reset_logging

    from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
    from benchmarks._follow import CountingSink
    from tests.airflow_support import TaskInstance, context_for, first_event, roundtrip

    sink = CountingSink({0: 10**6})
    reset_logging()
    configure_logging(json_output=True, output=sink, sending_to_supervisor=True)
    operator = HfRunJobOperator(
        task_id="train", image="python:3.12", command=["python", "train.py"],
        labels={"fake-scenario": scenario}, deferrable=path == "deferrable",
    )  # fmt: skip
    context = context_for(TaskInstance(dag_id="bench"))
    out: dict[str, Any] = {"path": path}
    t0, c0 = time.perf_counter(), _cpu()
    try:
        result = operator.execute(context)  # type: ignore[arg-type]
        t1, c1 = time.perf_counter(), _cpu()
        out.update(worker_s=t1 - t0, worker_cpu_s=c1 - c0, task_starts=1, stage=result["stage"])
    except TaskDeferred as deferred:
        t1, c1 = time.perf_counter(), _cpu()
        event = asyncio.run(first_event(roundtrip(deferred.trigger)))
        t2, c2 = time.perf_counter(), _cpu()
        result = getattr(operator, deferred.method_name)(context, event=event)
        t3, c3 = time.perf_counter(), _cpu()
        out.update(
            worker_s=(t1 - t0) + (t3 - t2), worker_cpu_s=(c1 - c0) + (c3 - c2), task_starts=2,
            execute_until_deferred_s=t1 - t0, execute_complete_s=t3 - t2,
            triggerer_s=t2 - t1, triggerer_cpu_s=c2 - c1, stage=result["stage"],
        )  # fmt: skip
    out["log_lines"] = sink.records
    return out


def _spawn(path: str, scenario: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-m", "benchmarks.worker_time", "--child", path, "--scenario", scenario],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env, cwd=ROOT,
    )  # fmt: skip


def _collect(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    assert proc.stdout is not None
    result: dict[str, Any] = {}

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(RESULT):
                result.update(json.loads(line[len(RESULT) :]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    stop_process(proc)
    if not result:
        raise RuntimeError(f"worker-time child gave no result (exit {proc.returncode})")
    return result


def run(seconds: float = 60.0) -> dict[str, Any]:
    started = time.time()
    lines = max(1, round(seconds * RATE))
    with fake_hub(stage_lag=1.0) as hub:
        scenario: dict[str, Any] = {
            "name": "worker-time",
            "lines": [f"job-0 line {k}" for k in range(lines)],
            "line_interval": 1 / RATE,
        }
        hub.add_scenarios([scenario])
        progress(f"worker time: sync and deferrable at once, {seconds:g} s Jobs")
        env = connection_env(hub)
        procs = {path: _spawn(path, scenario["name"], env) for path in ("sync", "deferrable")}
        results = {path: _collect(proc, seconds + 120) for path, proc in procs.items()}
        job_seconds = [
            round(j["terminal_at"] - j["created_at"], 2)
            for j in hub.hub.jobs()
            if j["terminal_at"] is not None
        ]
    figures = {
        path: {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items() if k != "path"}
        for path, r in results.items()
    }
    deferred = figures["deferrable"]
    return {
        "benchmark": "worker_time",
        "parameters": {"job_seconds": seconds, "lines_per_second": RATE, "poll_interval_s": 60.0},
        "machine": machine(),
        "job_seconds_on_the_hub": sorted(job_seconds),
        "paths": figures,
        "ratios": {"deferrable/sync_worker_s": ratio(deferred["worker_s"], figures["sync"]["worker_s"], 4)},
        "notes": [
            "worker_s excludes starting the task process (DAG parse), paid once by sync and twice by deferrable",
            "the deferrable trigger ran in the same child (triggerer_s), not counted as worker time",
        ],
        "targets": {"deferred_worker_slot_under_5s": deferred["worker_s"] < 5.0},
        "wall_s": round(time.time() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.worker_time", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the Job runs")
    parser.add_argument("--child", choices=["sync", "deferrable"], help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = child(args.child, args.scenario)
        sys.stdout.write(RESULT + json.dumps(result) + "\n")
        sys.stdout.flush()
        return 0
    print_json(run(seconds=args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
