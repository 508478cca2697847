"""Parse cost: what the provider adds to every parse of a DAG file that uses it.

- Import time of each operator module in a fresh interpreter, over ``import airflow.sdk`` alone:
  each sample imports ``airflow.sdk`` (timed), then the module (timed); median of ``--samples``.
  The same interpreter then imports the provider's other DAG-facing modules (sensors, links),
  and reports which heavy libraries the operator import pulled in beyond ``airflow.sdk``.
- ``DagBag`` parse of ``dags_examples/`` in a fresh interpreter (median of 3), with its files,
  DAGs and import errors.
- ``airflow dags list-import-errors --local`` over ``dags_examples/`` (wall time, median of 3), in
  a throw-away ``AIRFLOW_HOME`` whose SQLite database is migrated first (not timed).

``python -m benchmarks.parse_cost --samples 10``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks._common import PYTHON, ROOT, machine, print_json, progress

OPERATOR_MODULES = ("airflow_provider_hfhub.operators.jobs", "airflow_provider_hfhub.operators.spaces")
OTHER_DAG_MODULES = (
    "airflow_provider_hfhub.sensors.jobs",
    "airflow_provider_hfhub.sensors.spaces",
    "airflow_provider_hfhub.links",
)
HEAVY = ("httpx", "tenacity", "huggingface_hub", "starlette", "uvicorn", "pendulum")
DAGS = os.path.join(ROOT, "dags_examples")

_IMPORT_SNIPPET = """
import importlib, json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
before = set(sys.modules)
importlib.import_module({module!r})
t2 = time.perf_counter()
added = set(sys.modules) - before
others = [m for m in {others!r} if m != {module!r}]
for m in others:
    try:
        importlib.import_module(m)
    except ImportError:
        pass
t3 = time.perf_counter()
print("@@" + json.dumps({{
    "sdk_s": t1 - t0, "module_s": t2 - t1, "rest_s": t3 - t2,
    "added_modules": len(added),
    "provider_modules": sorted(m for m in added if m.startswith("airflow_provider_hfhub")),
    "heavy_added": sorted(m for m in added if m.split(".")[0] in {heavy!r} and "." not in m),
}}))
"""

_DAGBAG_SNIPPET = """
import json, time
from airflow.dag_processing.dagbag import DagBag
t0 = time.perf_counter()
bag = DagBag(dag_folder={folder!r}, safe_mode=False)
t1 = time.perf_counter()
print("@@" + json.dumps({{
    "parse_s": t1 - t0, "dags": len(bag.dags), "import_errors": {{k: v[:300] for k, v in bag.import_errors.items()}},
    "files": [[str(s.file), round(s.duration.total_seconds() if hasattr(s.duration, "total_seconds") else s.duration, 4), s.dag_num]
              for s in bag.dagbag_stats],
}}))
"""


def _env(home: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "PYTHONPATH": ROOT + os.pathsep + env.get("PYTHONPATH", ""),
            "PYTHONDONTWRITEBYTECODE": env.get("PYTHONDONTWRITEBYTECODE", ""),
        }
    )
    if home:
        env["AIRFLOW_HOME"] = home
        env["AIRFLOW__CORE__DAGS_FOLDER"] = DAGS
    return env


def _marked(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    for line in out.stdout.splitlines():
        if line.startswith("@@"):
            result: dict[str, Any] = json.loads(line[2:])
            return result
    raise RuntimeError(f"{command[:3]} gave no result: {out.stderr[-2000:]}")


def _median(values: list[float], scale: float = 1000.0) -> float:
    return round(statistics.median(values) * scale, 1)


def import_times(samples: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in OPERATOR_MODULES}
    for i in range(samples):
        for module in OPERATOR_MODULES:  # interleaved, so a busy moment hits both alike
            snippet = _IMPORT_SNIPPET.format(module=module, others=OTHER_DAG_MODULES, heavy=HEAVY)
            runs[module].append(_marked([PYTHON, "-c", snippet], _env()))
        progress(f"parse cost: import sample {i + 1}/{samples}")
    out: dict[str, Any] = {}
    for module, samples_ in runs.items():
        last = samples_[-1]
        out[module] = {
            "over_airflow_sdk_ms": _median([s["module_s"] for s in samples_]),
            "over_airflow_sdk_ms_max": round(max(s["module_s"] for s in samples_) * 1000, 1),
            "airflow_sdk_alone_ms": _median([s["sdk_s"] for s in samples_]),
            "sensors_and_links_after_it_ms": _median([s["rest_s"] for s in samples_]),
            "modules_added": last["added_modules"],
            "provider_modules_loaded": last["provider_modules"],
            "heavy_libraries_added": last["heavy_added"],
        }
    return out


def dagbag_parse(repeats: int = 3) -> dict[str, Any]:
    """Time ``DagBag(dags_examples/)`` in fresh interpreters: the files' imports and DAG building."""
    runs = [_marked([PYTHON, "-c", _DAGBAG_SNIPPET.format(folder=DAGS)], _env()) for _ in range(repeats)]
    runs.sort(key=lambda r: r["parse_s"])
    median = runs[len(runs) // 2]
    return {
        "folder": "dags_examples/",
        "parse_ms": _median([r["parse_s"] for r in runs]),
        "dags": median["dags"],
        "import_errors": median["import_errors"],
        "files_ms": {os.path.basename(f): round(d * 1000, 1) for f, d, _ in median["files"]},
        "note": "the first file parsed pays the provider's imports (the operator modules, once)",
    }


def list_import_errors(repeats: int = 3) -> dict[str, Any]:
    airflow = os.path.join(os.path.dirname(PYTHON), "airflow")
    with tempfile.TemporaryDirectory(prefix="bench-airflow-home-") as home:
        env = _env(home)
        subprocess.run(
            [airflow, "db", "migrate"], capture_output=True, env=env, cwd=ROOT, timeout=300, check=True
        )
        walls, output = [], ""
        for _ in range(repeats):
            start = time.perf_counter()
            done = subprocess.run(
                [airflow, "dags", "list-import-errors", "--local", "-o", "json"],
                capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
            )  # fmt: skip
            walls.append(time.perf_counter() - start)
            output = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    try:
        errors = json.loads(output)
    except ValueError:
        errors = output[:500]
    return {"wall_ms": _median(walls), "import_errors": errors, "runs": repeats}


def run(samples: int = 10) -> dict[str, Any]:
    started = time.time()
    imports = import_times(samples)
    progress("parse cost: DagBag of dags_examples/")
    dagbag = dagbag_parse()
    progress("parse cost: airflow dags list-import-errors --local")
    cli = list_import_errors()
    return {
        "benchmark": "parse_cost",
        "parameters": {"samples": samples, "modules": list(OPERATOR_MODULES)},
        "machine": machine(),
        "imports": imports,
        "dagbag": dagbag,
        "list_import_errors": cli,
        "targets": {
            f"{m.rsplit('.', 2)[-2]}.{m.rsplit('.', 1)[-1]}_under_100ms_over_airflow_sdk": imports[m][
                "over_airflow_sdk_ms"
            ]
            < 100
            for m in OPERATOR_MODULES
        },
        "wall_s": round(time.time() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.parse_cost", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args(argv)
    print_json(run(samples=args.samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
