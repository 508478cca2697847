"""Run every benchmark and print one JSON document: ``python -m benchmarks [--quick] [--only a,b]``.

Order: fleet (100 and 1,000 Jobs), detection with worker time alongside (both mostly wait on
the clock), throughput, parse cost. Progress goes to stderr; stdout gets the JSON alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks import detection, fleet, parse_cost, throughput, worker_time
from benchmarks._common import machine, print_json, progress

FULL: dict[str, dict[str, Any]] = {
    "fleet": {"jobs": (100, 1000), "seconds": 30.0},
    "detection": {"repetitions": 50},
    "worker_time": {"seconds": 60.0},
    "throughput": {"lines": 200_000},
    "parse_cost": {"samples": 10},
}
QUICK: dict[str, dict[str, Any]] = {
    "fleet": {"jobs": (20, 100), "seconds": 10.0},
    "detection": {"repetitions": 10},
    "worker_time": {"seconds": 10.0},
    "throughput": {"lines": 20_000},
    "parse_cost": {"samples": 3},
}
RUNNERS: dict[str, Callable[..., dict[str, Any]]] = {
    "fleet": fleet.run,
    "detection": detection.run,
    "worker_time": worker_time.run,
    "throughput": throughput.run,
    "parse_cost": parse_cost.run,
}


def _targets(results: dict[str, Any]) -> dict[str, Any]:
    """Every benchmark's targets in one place; the fleet's at its largest size."""
    out: dict[str, Any] = {}
    for name, result in results.items():
        if "error" in result:
            out[name] = {"error": result["error"]}
        elif name == "fleet":
            largest = max(result["sizes"], key=int)
            out[f"fleet_{largest}"] = result["sizes"][largest].get("targets", {})
        else:
            out[name] = result.get("targets", {})
    return out


def _guarded(name: str, sizes: dict[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = RUNNERS[name](**sizes)
        return result
    except Exception as exc:  # one broken benchmark must not lose the others' figures
        progress(f"{name} failed: {exc!r}")
        return {"benchmark": name, "error": repr(exc)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(RUNNERS)}")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    chosen = [n for n in RUNNERS if not args.only or n in args.only.split(",")]
    started = time.time()
    results: dict[str, Any] = {}
    for name in chosen:
        if name == "worker_time" and "detection" in chosen:
            continue  # runs alongside detection
        if name == "detection" and "worker_time" in chosen:
            with ThreadPoolExecutor(max_workers=1) as pool:
                beside = pool.submit(_guarded, "worker_time", plan["worker_time"])
                results["detection"] = _guarded("detection", plan["detection"])
                results["worker_time"] = beside.result()
            continue
        results[name] = _guarded(name, plan[name])
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
