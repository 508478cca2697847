"""What every benchmark shares: the fake Hub in its own process, competitor processes, statistics.

Progress goes to stderr; each benchmark returns one JSON-safe dict. Every process started here is
stopped by its pid (SIGTERM, then SIGKILL after a grace period), never by name.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from airflow_provider_hfhub.testing import FakeHub

PYTHON = sys.executable
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """The machine the figures were taken on (the load average says whether it was shared)."""
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (``p`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> dict[str, Any]:
    """p50 / p99 / max / mean (multiplied by ``scale``, e.g. 1000 for ms) and the sample count."""

    def r(x: float | None) -> float | None:
        return None if x is None else round(x * scale, digits)

    return {
        "p50": r(percentile(values, 50)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values) if values else None),
        "mean": r(sum(values) / len(values) if values else None),
        "n": len(values),
    }


def ratio(ours: float | None, other: float | None, digits: int = 3) -> float | None:
    if ours is None or other is None or other == 0:
        return None
    return round(ours / other, digits)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def stop_process(proc: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM the process by its pid, SIGKILL it if it does not exit within ``grace`` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)


class FakeHubProcess:
    """The fake Hub as shipped, served by its own interpreter on loopback.

    ``python -m airflow_provider_hfhub.testing.fake_hub``: its first stdout line is the URL.
    """

    def __init__(self, stage_lag: float, keepalive_interval: float = 15.0) -> None:
        command = [
            PYTHON, "-m", "airflow_provider_hfhub.testing.fake_hub", "--host", "127.0.0.1",
            "--port", "0", "--stage-lag", str(stage_lag), "--keepalive-interval", str(keepalive_interval),
        ]  # fmt: skip
        profile_dir = os.environ.get("BENCH_PROFILE_FAKE_HUB")
        if profile_dir:  # where the fake Hub's time goes (cProfile writes it when SIGTERM ends the server)
            os.makedirs(profile_dir, exist_ok=True)
            out = os.path.join(profile_dir, f"fake-hub-{time.time():.0f}.prof")
            command[1:1] = ["-m", "cProfile", "-o", out]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, cwd=ROOT
        )
        assert self.proc.stdout is not None
        url = self.proc.stdout.readline().strip()
        if not url.startswith("http"):
            stop_process(self.proc)
            raise RuntimeError(f"the fake Hub did not start (first line {url!r})")
        self.url = url
        self.hub = FakeHub(url)
        self.registered: set[str] = set()
        self.http = httpx.Client(
            base_url=url, timeout=60, headers={"authorization": f"Bearer {self.hub.token}"}
        )

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def add_scenarios(self, scenarios: Sequence[dict[str, Any]]) -> None:
        """Register Job scenarios (``FakeHub.add_job_scenario``'s fields) not registered yet.

        Each registration answers with every scenario so far (O(N) each): register once, reuse.
        """
        for scenario in scenarios:
            if scenario["name"] not in self.registered:
                self.http.post("/_fake/scenarios", json=scenario).raise_for_status()
                self.registered.add(scenario["name"])

    def create_jobs(self, scenario_names: Sequence[str]) -> list[str]:
        """Start one Job per scenario name (as ``run_job`` would: ``POST /api/jobs/{user}``)."""
        ids = []
        for name in scenario_names:
            spec = {
                "command": ["python", "-c", "pass"], "arguments": [], "environment": {},
                "flavor": "cpu-basic", "dockerImage": "python:3.12", "labels": {"fake-scenario": name},
            }  # fmt: skip
            response = self.http.post(f"/api/jobs/{self.hub.user}", json=spec)
            response.raise_for_status()
            ids.append(response.json()["id"])
        return ids

    def hub_requests(self) -> list[dict[str, Any]]:
        """Hub requests (admin excluded) without their headers, to keep the answer small."""
        return [{k: r[k] for k in ("time", "method", "path", "query")} for r in self.hub.requests()]

    def finish_jobs(self, job_ids: Sequence[str]) -> tuple[float, float]:
        """End held Jobs all at once (16 at a time, as fast as the fake answers); first and last time."""
        started = time.time()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for done in pool.map(
                lambda job_id: self.http.post(f"/_fake/jobs/{job_id}/finish", json={}), job_ids
            ):
                done.raise_for_status()
        return started, time.time()

    def open_log_streams(self) -> int:
        """Job log streams the fake Hub is serving now."""
        return sum(1 for s in self.hub.open_streams("/api/jobs/") if s["path"].endswith("/logs"))

    def stop(self) -> None:
        self.hub.close()
        self.http.close()
        stop_process(self.proc)

    def __enter__(self) -> FakeHubProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def fake_hub(stage_lag: float, keepalive_interval: float = 15.0) -> Iterator[FakeHubProcess]:
    hub = FakeHubProcess(stage_lag, keepalive_interval)
    try:
        yield hub
    finally:
        hub.stop()


def connection_env(hub: FakeHubProcess) -> dict[str, str]:
    """The environment of a process that talks to the fake Hub through ``hfhub_default``."""
    conn = {"conn_type": "hfhub", "host": hub.url, "password": hub.hub.token}
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_CONN_HFHUB_DEFAULT": json.dumps(conn),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # Triggers hold an event that comes within 30 s of the deferral (a workaround for an
            # Airflow scheduler race, triggers/base.py); the benchmarks measure detection itself.
            "AIRFLOW__HFHUB__EARLY_EVENT_HOLD_SECONDS": "0",
            "PYTHONPATH": ROOT + os.pathsep + env.get("PYTHONPATH", ""),
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(proxy, None)
    return env


# A child may print log lines on stdout before it reconfigures logging: its protocol lines are marked.
READY = "@@bench-ready"
RESULT = "@@bench-result "


def _read_marked(proc: subprocess.Popen[str], marker: str) -> str | None:
    """The rest of the first stdout line of ``proc`` that starts with ``marker``; None at EOF."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(marker):
            return line[len(marker) :].strip()
        sys.stderr.write(line)
    return None


def run_competitor(
    mode: str,
    env: dict[str, str],
    prepare: Callable[[], dict[str, Any]],
    timeout: float,
    extra_args: Sequence[str] = (),
) -> dict[str, Any]:
    """Run ``python -m benchmarks._follow MODE`` in a fresh interpreter and return its result.

    The child imports everything, says it is ready; then ``prepare()`` (e.g. starting the Jobs)
    builds the payload it receives on stdin; its one line of JSON on stdout is the result.
    """
    command = [PYTHON, "-m", "benchmarks._follow", mode, *extra_args]
    profile_dir = os.environ.get("BENCH_PYSPY_DIR")
    if profile_dir:  # a profile of each competitor (collapsed stacks), for finding out why a target is missed
        os.makedirs(profile_dir, exist_ok=True)
        out = os.path.join(profile_dir, f"{mode}-{int(time.time())}.txt")
        pyspy = os.path.join(os.path.dirname(PYTHON), "py-spy")
        command = [
            pyspy,
            "record",
            "--format",
            "raw",
            "--rate",
            "50",
            "--nonblocking",
            "-o",
            out,
            "--",
            *command,
        ]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        if _read_marked(proc, READY) is None:
            raise RuntimeError(f"competitor {mode} did not start (exit {proc.poll()})")
        payload = prepare()
        payload["timeout"] = timeout
        proc.stdin.write(json.dumps(payload) + "\n")
        proc.stdin.close()
        line = _read_marked(proc, RESULT)
        proc.wait(30)
        if line is None:
            raise RuntimeError(f"competitor {mode} ended without a result (exit {proc.returncode})")
        result: dict[str, Any] = json.loads(line)
        return result
    finally:
        stop_process(proc)


class Probe:
    """How fast the fake Hub answers while a competitor runs (``GET /_fake/config`` every 0.2 s).

    Admin routes are neither logged nor counted, but run on the server's one event loop: when the
    probe is slow, every competitor's requests are slow too, whatever the client.
    """

    def __init__(self, url: str) -> None:
        self.latencies: list[float] = []
        self.at: list[float] = []
        self._stop = threading.Event()
        self._http = httpx.Client(base_url=url, timeout=60)
        self._thread = threading.Thread(target=self._run, daemon=True, name="fake-hub-probe")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            start = time.perf_counter()
            with contextlib.suppress(httpx.HTTPError):
                self._http.get("/_fake/config")
                self.latencies.append(time.perf_counter() - start)
                self.at.append(time.time())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(65)
        self._http.close()

    def figures(self) -> dict[str, Any]:
        worst = sorted(zip(self.latencies, self.at, strict=True), reverse=True)[:3]
        return {
            **summary(self.latencies, 1000, 1),
            "worst_at": [[round(t, 2), round(s * 1000)] for s, t in worst],
        }


def follow_jobs(
    hub: FakeHubProcess,
    mode: str,
    scenarios: Sequence[dict[str, Any]],
    *,
    timeout: float,
    poll_interval: float = 60.0,
    extra_args: Sequence[str] = (),
    during: Callable[[list[str]], Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Start one Job per scenario once competitor ``mode`` is ready, let it follow them all.

    Job ``i`` writes the lines of ``scenarios[i]`` (``job-i line k``: the sink counts them by ``i``).
    ``during(job_ids)`` runs in a thread while the competitor follows (e.g. to end held Jobs); its
    answer is the result's ``during``. Returns the competitor's result, the fake Hub's view of the
    Jobs, and the Hub requests made while the competitor followed them (the Jobs' creation excluded).
    """
    hub.add_scenarios(scenarios)
    state: dict[str, Any] = {}
    pool = ThreadPoolExecutor(max_workers=1)

    def prepare() -> dict[str, Any]:
        ids = state["ids"] = hub.create_jobs([s["name"] for s in scenarios])
        hub.hub.clear_requests()
        state["hub_cpu"] = hub.cpu_seconds()
        payload = {
            "url": hub.url,
            "token": hub.hub.token,
            "namespace": hub.hub.user,
            "poll_interval": poll_interval,
            "jobs": [
                {"id": job_id, "index": i, "lines": len(sc.get("lines", ()))}
                for i, (job_id, sc) in enumerate(zip(ids, scenarios, strict=True))
            ],
        }
        if during is not None:
            state["during"] = pool.submit(during, ids)
        return payload

    probe = Probe(hub.url)
    try:
        result = run_competitor(mode, connection_env(hub), prepare, timeout=timeout, extra_args=extra_args)
    finally:
        probe.stop()
        pool.shutdown(wait=True)
    if "during" in state:
        result["during"] = state["during"].result()
    result["fake_hub_cpu_s"] = round(hub.cpu_seconds() - state["hub_cpu"], 2)
    result["fake_hub_probe_ms"] = probe.figures()
    result["job_ids"] = state["ids"]  # index i in the lines is the i-th of these
    ours = set(state["ids"])  # the fake keeps the Jobs of earlier runs
    return result, [j for j in hub.hub.jobs() if j["id"] in ours], hub.hub_requests()


def detection_latencies(
    result: dict[str, Any], hub_jobs: Sequence[dict[str, Any]]
) -> tuple[list[float], int]:
    """Seconds from each Job's terminal stage on the Hub to the competitor's event; and the misses."""
    latencies, missed = [], 0
    for job in hub_jobs:
        event = result["events"].get(job["id"])
        if event is None or job["terminal_at"] is None:
            missed += 1
            continue
        latencies.append(event[0] - job["terminal_at"])
    return latencies, missed


def print_json(result: Any) -> None:
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()
