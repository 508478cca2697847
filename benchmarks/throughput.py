"""Throughput: one Job whose log arrives as fast as the fake Hub can send it.

The Job waits 2 s in SCHEDULING (so the follower is already listening), then writes
``--lines`` unique lines at once; the stream hands them over as fast as the fake Hub (its own
process) writes them. Figures: lines per second from the first line to the last one reaching the
task logger (Airflow's JSON log pipeline into a counting sink, as in the triggerer), CPU seconds
and microseconds per line in the follower, lines lost and doubled.

Competitors, each in a fresh interpreter: ours (``HfJobTrigger``), the official client iterating
``fetch_job_logs(follow=True)`` and logging each line the same way, and the official client
iterating only (no logging: the upper bound of its own stream reader).

Each competitor runs ``--rounds`` times (3), the order turned round each time; its figures are
its median run's, with every run's rate beside them (``runs_lines_per_s``).

``python -m benchmarks.throughput --lines 100000 --rounds 3``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks._common import FakeHubProcess, fake_hub, follow_jobs, machine, print_json, progress, ratio

COMPETITORS: dict[str, tuple[str, list[str]]] = {
    "ours": ("ours", []),
    "official": ("official", []),
    "official_iterate_only": ("official", ["--no-log"]),
}


def _one(hub: FakeHubProcess, name: str, scenario: dict[str, Any], lines: int) -> dict[str, Any]:
    mode, args = COMPETITORS[name]
    no_log = "--no-log" in args
    progress(f"throughput: {name}, {lines} lines")
    result, _, _ = follow_jobs(hub, mode, [scenario], timeout=600, extra_args=args)
    if no_log:
        received = result["iterated_lines"]
        first, last = None, result["last_iterated_at"]
    else:
        received = result["lines"]["received"]
        first, last = result["first_line_at"], result["last_line_at"]
    # The lines start once the Job leaves SCHEDULING; without a logged first line, count from then.
    first = first or result["started_at"] + scenario["scheduling_seconds"]
    seconds = (last - first) if last else None
    figures = {
        "lines_received": received,
        "lines_lost": lines - received if no_log else result["lines"]["lost"],
        "lines_doubled": None if no_log else result["lines"]["doubled"],
        "seconds": round(seconds, 3) if seconds else None,
        "lines_per_s": round(received / seconds) if seconds else None,
        "cpu_s": result["cpu_s"],
        "cpu_us_per_line": round(result["cpu_s"] / max(received, 1) * 1e6, 1),
        "fake_hub_cpu_s": result["fake_hub_cpu_s"],
        "errors": result["error_count"],
    }
    progress(f"throughput: {name}: {figures['lines_per_s']} lines/s")
    return figures


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median lines per second, with every run's rate beside it."""
    ordered = sorted(runs, key=lambda r: r["lines_per_s"] or 0)
    return {**ordered[len(ordered) // 2], "runs_lines_per_s": [r["lines_per_s"] for r in runs]}


def run(
    lines: int = 100_000, competitors: Sequence[str] = tuple(COMPETITORS), rounds: int = 3
) -> dict[str, Any]:
    """``rounds`` runs of each competitor, the order turned round each time (the machine's speed drifts
    over a minute by more than the difference measured); each figure is its median run."""
    started = time.time()
    scenario = {
        "name": f"throughput-{lines}",
        "lines": [f"job-0 line {k}" for k in range(lines)],
        "line_interval": 0.0,
        "scheduling_seconds": 2.0,
    }
    compared = [name for name in competitors if name != "official_iterate_only"]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in competitors}
    with fake_hub(stage_lag=1.0) as hub:
        for number in range(rounds):
            for name in compared if number % 2 == 0 else reversed(compared):
                runs[name].append(_one(hub, name, scenario, lines))
        if "official_iterate_only" in competitors:  # an upper bound for reference: once is enough
            runs["official_iterate_only"].append(_one(hub, "official_iterate_only", scenario, lines))
    figures = {name: _median_run(done) for name, done in runs.items() if done}
    ours = figures.get("ours")
    if ours is None or "official" not in figures:
        return {"benchmark": "throughput", "parameters": {"lines": lines}, "competitors": figures}
    return {
        "benchmark": "throughput",
        "parameters": {
            "lines": lines,
            "rounds": rounds,
            "into": "Airflow's JSON log pipeline (configure_logging) into a counting sink",
        },
        "machine": machine(),
        "competitors": figures,
        "ratios": {
            f"ours/{name}": {
                "lines_per_s": ratio(ours["lines_per_s"], figures[name]["lines_per_s"]),
                "cpu_us_per_line": ratio(ours["cpu_us_per_line"], figures[name]["cpu_us_per_line"]),
            }
            for name in figures
            if name != "ours"
        },
        "targets": {
            "at_least_official_logging_the_same_way": (ours["lines_per_s"] or 0)
            >= (figures["official"]["lines_per_s"] or 0),
            "zero_lost_zero_doubled": ours["lines_lost"] == 0 and ours["lines_doubled"] == 0,
        },
        "wall_s": round(time.time() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.throughput", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each competitor, the median one kept")
    parser.add_argument("--competitors", default=",".join(COMPETITORS))
    args = parser.parse_args(argv)
    competitors = [c for c in args.competitors.split(",") if c]
    print_json(run(lines=args.lines, competitors=competitors, rounds=args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
