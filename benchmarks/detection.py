"""Detection: how long after the Hub says a Job ended does the waiting task learn it?

One Job shape, repeated: it writes a few seconds of log, its stream closes, and its stage turns
terminal ``stage_lag`` seconds later (drawn per Job from 1.0-1.5 s: the official client's own
comment measures ~1.3 s on the real Hub). The latency is the competitor's event time minus the
fake Hub's ``terminal_at``. The repetitions run at once (their ends spread over a few seconds)
so that 50 of them take seconds, not minutes; each competitor runs in a fresh interpreter.

Competitors: ours (``HfJobTrigger``, default ``poll_interval``), the official client's
``fetch_job_logs(follow=True)`` + ``inspect_job``, and plain pollers every 5 s and 30 s (each
starting at a random phase, as for Jobs much longer than their interval).

``python -m benchmarks.detection --repetitions 50``
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

from benchmarks._common import (
    detection_latencies,
    fake_hub,
    follow_jobs,
    machine,
    print_json,
    progress,
    ratio,
    summary,
)

STAGE_LAG = (1.0, 1.5)
COMPETITORS: dict[str, list[str]] = {
    "ours": [],
    "official": [],
    "poller_5s": ["--interval", "5", "--random-phase"],
    "poller_30s": ["--interval", "30", "--random-phase"],
}


def _scenarios(repetitions: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(repetitions):
        lines = rng.randint(10, 40)  # 1-4 s of log at 10 lines/s
        out.append(
            {
                "name": f"detect-{i}",
                "lines": [f"job-{i} line {k}" for k in range(lines)],
                "line_interval": 0.1,
                "stage_lag": round(rng.uniform(*STAGE_LAG), 3),
            }
        )
    return out


def run(repetitions: int = 50, seed: int = 6) -> dict[str, Any]:
    started = time.time()
    scenarios = _scenarios(repetitions, seed)
    figures: dict[str, Any] = {}
    with fake_hub(stage_lag=1.3) as hub:
        for name, args in COMPETITORS.items():
            mode = name.split("_")[0]
            progress(f"detection: {name}, {repetitions} Jobs")
            result, hub_jobs, _ = follow_jobs(hub, mode, scenarios, timeout=120, extra_args=args)
            latencies, missed = detection_latencies(result, hub_jobs)
            figures[name] = {
                "latency_s": summary(latencies),
                "missed": missed,
                "errors": result["error_count"],
            }
            progress(
                f"detection: {name}: p50 {figures[name]['latency_s']['p50']} s, p99 {figures[name]['latency_s']['p99']} s"
            )
    ours = figures["ours"]["latency_s"]
    return {
        "benchmark": "detection",
        "parameters": {
            "repetitions": repetitions,
            "stage_lag_s": list(STAGE_LAG),
            "log_seconds_per_job": [1, 4],
            "trigger_poll_interval_s": 60.0,
            "repetitions_run": "concurrently, ends spread over ~3 s",
        },
        "machine": machine(),
        "competitors": figures,
        "ratios": {
            f"ours/{name}": {
                "p50": ratio(ours["p50"], figures[name]["latency_s"]["p50"]),
                "p99": ratio(ours["p99"], figures[name]["latency_s"]["p99"]),
            }
            for name in figures
            if name != "ours"
        },
        "targets": {
            "p50_under_1s": ours["p50"] is not None and ours["p50"] < 1.0,
            "p99_under_3s": ours["p99"] is not None and ours["p99"] < 3.0,
            "none_missed": figures["ours"]["missed"] == 0,
        },
        "wall_s": round(time.time() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.detection", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    print_json(run(repetitions=args.repetitions, seed=args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
