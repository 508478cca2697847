"""One competitor in its own interpreter: follow a set of Jobs, count what reached the task logger.

``python -m benchmarks._follow MODE [options]`` imports everything, says it is ready, reads one
JSON payload on stdin (the fake Hub's URL and token, the Jobs, the lines each one writes), follows
the Jobs and prints one JSON line with its figures. Modes:

- ``ours``: one ``HfJobTrigger`` per Job in one event loop, each built, ``serialize()``-d and
  rebuilt as the triggerer does, its log lines going through Airflow's own logging setup.
- ``official``: the official client's way, one thread per Job running
  ``HfApi.fetch_job_logs(follow=True)`` (each line logged the same way) and then ``inspect_job``.
- ``poller``: a plain async poller, ``GET`` the Job every ``--interval`` s until it ends, no log.

All modes import the same modules before ``ready`` so that their base memory is the same.
Log records go where the triggerer sends them (``configure_logging(json_output=True, ...)`` into
a socket to its supervisor); here the "socket" is a sink that counts each line per Job.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import os
import random
import re
import resource
import sys
import threading
import time
from typing import Any, cast

import httpx
import huggingface_hub
import structlog
from airflow.sdk.log import configure_logging, reset_logging
from airflow.sdk.serde import deserialize, serialize
from airflow.triggers.base import BaseTrigger  # noqa: F401  (the triggerer has it loaded)
from structlog.contextvars import bind_contextvars

from airflow_provider_hfhub.hooks.hfhub import HfHubHook  # noqa: F401  (ours loads it: in every base)
from airflow_provider_hfhub.hub import _aiohttp_transport  # noqa: F401  (ours loads it with its first stream)
from airflow_provider_hfhub.triggers.jobs import HfJobTrigger
from benchmarks._common import READY, RESULT

TERMINAL = ("COMPLETED", "CANCELED", "ERROR", "DELETED")
LINE = re.compile(rb"job-(\d+) line (\d+)")
TICK = 0.05  # the ticker's period: how late it wakes is the event-loop (or GIL) lag
_FINISHING = threading.Lock()


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for row in f:
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CountingSink(io.RawIOBase):
    """Stands in for the triggerer's log socket: counts each ``job-I line K`` record it receives."""

    def __init__(self, expected: dict[int, int]) -> None:
        self.counts = {index: bytearray(n) for index, n in expected.items()}
        self.last = dict.fromkeys(expected, -1)
        self.out_of_order = 0
        self.records = 0
        self.last_line_of_job: dict[int, float] = {}  # when each Job's last line reached the logger
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        match = LINE.search(data)
        if match is not None:
            index, k = int(match.group(1)), int(match.group(2))
            with self._lock:
                counts = self.counts.get(index)
                if counts is not None and k < len(counts):
                    counts[k] = min(counts[k] + 1, 255)
                    if k == len(counts) - 1:
                        self.last_line_of_job[index] = time.time()
                    if k < self.last[index]:
                        self.out_of_order += 1
                    self.last[index] = k
                self.records += 1
                now = time.time()
                if self.first_at is None:
                    self.first_at = now
                self.last_at = now
        return len(data)

    def figures(self) -> dict[str, int]:
        lost = doubled = received = expected = 0
        for counts in self.counts.values():
            expected += len(counts)
            for c in counts:
                received += c
                lost += c == 0
                doubled += max(c - 1, 0)
        return {
            "expected": expected,
            "received": received,
            "lost": lost,
            "doubled": doubled,
            "out_of_order": self.out_of_order,
        }


class GcPauses:
    """The cyclic garbage collector's pauses while following: a full collection stops the loop."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []  # (generation, seconds)
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((int(info["generation"]), time.perf_counter() - self._started))

    def figures(self) -> dict[str, Any]:
        full = [seconds for generation, seconds in self.pauses if generation == 2]
        return {
            "collections": len(self.pauses),
            "full_collections": len(full),
            "full_max_ms": round(max(full, default=0.0) * 1000, 1),
            "total_ms": round(sum(seconds for _, seconds in self.pauses) * 1000, 1),
        }


class Ticker:
    """How late a periodic wake-up comes: in the event loop (async modes) or a thread (threads)."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.at: list[float] = []  # when each tick came (epoch s), to tell start-up from the end burst
        self.pending: float | None = None  # the tick being waited for (a stuck loop never ends it)
        self.stopped = False

    def _record(self, start: float) -> None:
        self.lags.append(max(0.0, time.perf_counter() - start - TICK))
        self.at.append(time.time())
        self.pending = None

    async def run_async(self) -> None:
        while not self.stopped:
            start = self.pending = time.perf_counter()
            await asyncio.sleep(TICK)
            self._record(start)

    def run_thread(self) -> None:
        while not self.stopped:
            start = self.pending = time.perf_counter()
            time.sleep(TICK)
            self._record(start)

    def figures(self) -> dict[str, Any]:
        pending = self.pending
        if not self.stopped and pending is not None and time.perf_counter() - pending > TICK:
            self._record(pending)  # the tick a stuck loop still owes counts as late as it is now
        lags = sorted(self.lags)
        if not lags:
            return {"p50": None, "p99": None, "max": None, "n": 0}

        def pct(p: float) -> float:
            return round(lags[min(len(lags) - 1, round((len(lags) - 1) * p))] * 1000, 2)

        worst = sorted(zip(self.lags, self.at, strict=True), reverse=True)[:5]
        return {
            "p50": pct(0.50),
            "p99": pct(0.99),
            "max": round(lags[-1] * 1000, 2),
            "n": len(lags),
            "worst": [[round(at, 2), round(lag * 1000, 1)] for lag, at in worst],
        }


# --- ours -------------------------------------------------------------------------------------


def rebuild(trigger: HfJobTrigger) -> HfJobTrigger:
    """The trigger as the triggerer gets it: classpath + serde round trip of its kwargs."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    cls = getattr(__import__(module, fromlist=[name]), name)
    rebuilt: HfJobTrigger = cls(**cast("dict[str, Any]", deserialize(serialize(kwargs))))
    return rebuilt


async def follow_ours(payload: dict[str, Any], events: dict[str, Any], errors: list[str]) -> None:
    namespace = payload["namespace"]

    async def one(job: dict[str, Any]) -> None:
        # What the triggerer's run_trigger binds for each trigger's log lines.
        bind_contextvars(
            trigger_id=job["index"], ti_id=job["id"], dag_id="bench", task_id=f"job_{job['index']}",
            run_id="bench", try_number=1, map_index=-1,
        )  # fmt: skip
        trigger = rebuild(
            HfJobTrigger(
                job_id=job["id"], namespace=namespace, hfhub_conn_id="hfhub_default",
                poll_interval=payload["poll_interval"], deferred_at=time.time(),
            )
        )  # fmt: skip
        try:
            async for event in trigger.run():
                events[job["id"]] = [time.time(), event.payload.get("status"), event.payload.get("message")]
                break
        except Exception as exc:
            errors.append(f"{job['id']}: {exc!r}")

    await gather_with_timeout([one(job) for job in payload["jobs"]], payload["timeout"], errors)


async def gather_with_timeout(coros: list[Any], timeout: float, errors: list[str]) -> None:
    tasks = await start_as_the_triggerer_does(coros)
    _done, pending = await asyncio.wait(tasks, timeout=timeout)
    if pending:
        errors.append(f"{len(pending)} still running after {timeout:g} s: cancelled")
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=10)


async def start_as_the_triggerer_does(coros: list[Any]) -> list[asyncio.Task[Any]]:
    """Start one task per coroutine the way the triggerer starts its triggers.

    ``TriggerRunner.create_triggers`` yields to the loop twice before each trigger it starts
    (``await asyncio.sleep(0)``, airflow/jobs/triggerer_job_runner.py, the same in 3.1, 3.2 and
    3.3), so a triggerer given 1,000 triggers at once starts them over ~2,000 loop passes, never
    all in one pass.
    """
    tasks = []
    for coro in coros:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        tasks.append(asyncio.ensure_future(coro))
    return tasks


# --- the official client, one thread per Job ---------------------------------------------------


def follow_official(
    payload: dict[str, Any],
    events: dict[str, Any],
    errors: list[str],
    log_lines: bool,
    iterated: list[tuple[int, float | None]],
) -> None:
    import httpx2
    from huggingface_hub.utils._http import hf_request_event_hook

    # The shared client's default pool holds 100 connections and a follow holds one for the Job's
    # whole life: beyond 100 Jobs the threads would wait for the pool and time out. A user running
    # a thread per Job at scale must lift the limit, so the baseline does.
    huggingface_hub.set_client_factory(
        lambda: httpx2.Client(
            event_hooks={"request": [hf_request_event_hook]}, follow_redirects=True, timeout=None,
            limits=httpx2.Limits(max_connections=None, max_keepalive_connections=None),
        )
    )  # fmt: skip
    api = huggingface_hub.HfApi(endpoint=payload["url"], token=payload["token"])
    namespace = payload["namespace"]
    log = structlog.get_logger("huggingface_hub.jobs")
    lock = threading.Lock()

    def one(job: dict[str, Any]) -> None:
        bind_contextvars(
            trigger_id=job["index"], ti_id=job["id"], dag_id="bench", task_id=f"job_{job['index']}",
            run_id="bench", try_number=1, map_index=-1,
        )  # fmt: skip
        try:
            count, last = 0, None
            for line in api.fetch_job_logs(job_id=job["id"], namespace=namespace, follow=True):
                if log_lines:
                    log.info("%s", line)
                count, last = count + 1, time.time()
            with lock:
                iterated.append((count, last))
            info = api.inspect_job(job_id=job["id"], namespace=namespace)
            with lock:
                events[job["id"]] = [time.time(), str(info.status.stage), info.status.message]
        except Exception as exc:
            with lock:
                errors.append(f"{job['id']}: {exc!r}")

    threads = [threading.Thread(target=one, args=(job,), daemon=True) for job in payload["jobs"]]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + payload["timeout"]
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = sum(t.is_alive() for t in threads)
    if alive:
        errors.append(f"{alive} threads still running after {payload['timeout']:g} s")


# --- a plain poller ---------------------------------------------------------------------------


async def follow_poller(
    payload: dict[str, Any], events: dict[str, Any], errors: list[str], interval: float, random_phase: bool
) -> None:
    namespace = payload["namespace"]
    headers = {"authorization": f"Bearer {payload['token']}"}
    async with httpx.AsyncClient(base_url=payload["url"], headers=headers, timeout=30) as client:

        async def one(job: dict[str, Any]) -> None:
            if random_phase:  # as for Jobs much longer than the interval: the end falls anywhere in it
                await asyncio.sleep(random.uniform(0, interval))
            while True:
                try:
                    response = await client.get(f"/api/jobs/{namespace}/{job['id']}")
                    response.raise_for_status()
                    status = response.json()["status"]
                    if status["stage"] in TERMINAL:
                        events[job["id"]] = [time.time(), status["stage"], status.get("message")]
                        return
                except httpx.HTTPError as exc:
                    errors.append(f"{job['id']}: {exc!r}")
                await asyncio.sleep(interval)

        await gather_with_timeout([one(job) for job in payload["jobs"]], payload["timeout"], errors)


# --- driver -----------------------------------------------------------------------------------


def _figures(parts: dict[str, Any], note: str | None) -> dict[str, Any]:
    sink, ticker, iterated, profiler = parts["sink"], parts["ticker"], parts["iterated"], parts["profiler"]
    wall1, cpu1 = time.time(), cpu_seconds()
    if profiler is not None:
        profiler.stop()
        directory = os.environ["BENCH_PYINSTRUMENT_DIR"]
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"{parts['mode']}-{int(parts['wall0'])}.txt"), "w") as f:
            f.write(profiler.output_text(unicode=False, color=False, show_all=False))
    errors = list(parts["errors"]) + ([note] if note else [])
    return {
        "mode": parts["mode"],
        "events": dict(parts["events"]),
        "errors": errors[:20],
        "error_count": len(errors),
        "lines": sink.figures(),
        "log_records": sink.records,
        "first_line_at": sink.first_at,
        "iterated_lines": sum(n for n, _ in iterated),
        "last_iterated_at": max((t for _, t in iterated if t), default=None),
        "last_line_at": sink.last_at,
        "last_line_of_job": dict(sink.last_line_of_job),
        "started_at": parts["wall0"],
        "ended_at": wall1,
        "ticker_lag_ms": ticker.figures(),
        "gc_pauses": parts["gc"].figures(),
        "cpu_s": round(cpu1 - parts["cpu0"], 3),
        "rss_base_mb": round(parts["rss_base"], 1),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _finish(parts: dict[str, Any], note: str | None) -> None:
    """Write the figures and end the process at once: from the main thread, or from the watchdog."""
    with _FINISHING:
        sys.stdout.write(RESULT + json.dumps(_figures(parts, note)) + "\n")
        sys.stdout.flush()
        os._exit(0)  # no interpreter tear-down: threads or tasks still stuck after a timeout are left


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._follow")
    parser.add_argument("mode", choices=["ours", "official", "poller"])
    parser.add_argument("--interval", type=float, default=5.0, help="poller: seconds between checks")
    parser.add_argument("--random-phase", action="store_true", help="poller: first check at a random time")
    parser.add_argument("--no-log", action="store_true", help="official: iterate the lines, log none")
    args = parser.parse_args(argv)

    print(READY, flush=True)
    payload = json.loads(sys.stdin.readline())
    expected = {job["index"]: job["lines"] for job in payload["jobs"]}
    sink = CountingSink(expected)
    reset_logging()
    configure_logging(json_output=True, output=sink, sending_to_supervisor=True)

    events: dict[str, Any] = {}
    errors: list[str] = []
    iterated: list[tuple[int, float | None]] = []  # official: lines each thread got, when the last came
    ticker = Ticker()
    gc_pauses = GcPauses()
    parts: dict[str, Any] = {
        "mode": args.mode, "sink": sink, "ticker": ticker, "gc": gc_pauses, "iterated": iterated, "events": events,
        "errors": errors, "rss_base": rss_mb(), "cpu0": cpu_seconds(), "wall0": time.time(), "profiler": None,
    }  # fmt: skip
    if os.environ.get("BENCH_PYINSTRUMENT_DIR"):  # the follow phase alone, for finding out why
        from pyinstrument import Profiler

        parts["profiler"] = Profiler(interval=0.001, async_mode="disabled")
        parts["profiler"].start()

    # A loop stuck in one long callback never reaches its own timeout: a thread ends the run then.
    grace = payload["timeout"] + 10
    note = f"still stuck {grace:g} s after the start (event loop or threads): figures taken as they were"
    watchdog = threading.Timer(grace, _finish, args=(parts, note))
    watchdog.daemon = True
    watchdog.start()

    if args.mode == "official":
        tick_thread = threading.Thread(target=ticker.run_thread, daemon=True)
        tick_thread.start()
        follow_official(payload, events, errors, not args.no_log, iterated)
        ticker.stopped = True
    else:

        async def run() -> None:
            tick = asyncio.ensure_future(ticker.run_async())
            if args.mode == "ours":
                await follow_ours(payload, events, errors)
            else:
                await follow_poller(payload, events, errors, args.interval, args.random_phase)
            ticker.stopped = True
            await tick

        # Not asyncio.run: after a timeout its clean-up would wait for every cancelled trigger of a
        # stuck loop; the figures are taken now and the process ends without tearing down.
        loop = asyncio.new_event_loop()
        loop.run_until_complete(run())
    _finish(parts, None)


if __name__ == "__main__":
    main()
