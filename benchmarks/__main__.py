"""Run every benchmark and print one JSON document: ``python -m benchmarks [--quick] [--only a,b]``.

Order: fleet (1,000 Jobs, all competitors; 2,000, ours alone), steady state (silent and printing
Jobs), detection with worker time alongside (both mostly wait on the clock), throughput, parse cost. Progress goes to stderr; stdout gets the JSON alone.

``make bench`` passes no arguments; the environment sets the same two options there:
``BENCH_QUICK=1`` (small sizes, a smoke run of a few minutes) and ``BENCH_ONLY=a,b`` (a subset),
e.g. ``BENCH_QUICK=1 BENCH_ONLY=throughput make bench``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks import detection, fleet, parse_cost, steady, throughput, worker_time
from benchmarks._common import machine, print_json, progress

# name: (the benchmark, its full sizes, its quick sizes)
PLAN: dict[str, tuple[Callable[..., dict[str, Any]], dict[str, Any], dict[str, Any]]] = {
    "fleet": (
        fleet.run,
        {"jobs": (1000, 2000), "seconds": 30.0, "ours_only_above": 1000},
        {"jobs": (100, 200), "seconds": 10.0, "ours_only_above": 100},
    ),
    "steady": (
        steady.run,
        {"jobs": 1000, "poll_interval": 5.0, "window": 20.0, "isolated": 4},
        {"jobs": 100, "poll_interval": 4.0, "window": 12.0, "isolated": 3},
    ),
    "detection": (detection.run, {"repetitions": 50}, {"repetitions": 10}),
    "worker_time": (worker_time.run, {"seconds": 60.0}, {"seconds": 10.0}),
    "throughput": (throughput.run, {"lines": 100_000, "rounds": 3}, {"lines": 20_000, "rounds": 1}),
    # Five import samples, not ten: the fleet at 2,000 Jobs and the steady state fit in the 10 minutes.
    "parse_cost": (parse_cost.run, {"samples": 5}, {"samples": 3}),
}


def _targets(results: dict[str, Any]) -> dict[str, Any]:
    """Every benchmark's targets in one place; the fleet's at its largest size with every competitor."""
    out: dict[str, Any] = {}
    for name, result in results.items():
        if "error" in result:
            out[name] = {"error": result["error"]}
        elif name == "fleet":
            out[f"fleet_{result['targets_at']}"] = result["targets"]
            out["fleet_scaling_worse_than_linear"] = {
                step: figures["worse_than_linear"] for step, figures in result["scaling"].items()
            }
        else:
            out[name] = result.get("targets", {})
    return out


def _guarded(name: str, quick: bool) -> dict[str, Any]:
    runner, full_sizes, quick_sizes = PLAN[name]
    try:
        return runner(**(quick_sizes if quick else full_sizes))
    except Exception as exc:  # one broken benchmark must not lose the others' figures
        progress(f"{name} failed: {exc!r}")
        return {"benchmark": name, "error": repr(exc)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="small sizes, for a smoke run (or BENCH_QUICK=1)",
    )
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ""),
        help=f"comma-separated subset of {', '.join(PLAN)} (or BENCH_ONLY)",
    )
    args = parser.parse_args(argv)
    chosen = [n for n in PLAN if not args.only or n in args.only.split(",")]
    started = time.time()
    results: dict[str, Any] = {}
    for name in chosen:
        if name == "worker_time" and "detection" in chosen:
            continue  # runs alongside detection
        if name == "detection" and "worker_time" in chosen:
            with ThreadPoolExecutor(max_workers=1) as pool:
                beside = pool.submit(_guarded, "worker_time", args.quick)
                results["detection"] = _guarded("detection", args.quick)
                results["worker_time"] = beside.result()
            continue
        results[name] = _guarded(name, args.quick)
    print_json(
        {
            "machine": machine(),
            "mode": "quick" if args.quick else "full",
            "wall_s": round(time.time() - started, 1),
            "targets": _targets(results),
            "benchmarks": results,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
