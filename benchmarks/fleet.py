"""Fleet: N Jobs followed at once, as a triggerer follows its deferred tasks in one event loop.

Each Job writes ``R`` unique lines a second (``job-I line K``) for ``T`` seconds and ends; the
fake Hub (its own process) flips its stage ``stage_lag`` seconds after the stream closes. Three
competitors, each in a fresh interpreter, one after the other against the same scenarios:

- ``ours``: ``HfJobTrigger`` (``poll_interval`` 60 s, the default a user keeps);
- ``official``: ``huggingface_hub`` ``fetch_job_logs(follow=True)`` + ``inspect_job``, a thread per Job;
- ``poller``: ``GET`` the Job every 5 s, no log stream.

Sizes above ``ours_only_above`` run ours alone (2,000 Jobs: a triggerer with raised capacity), and
``scaling`` says whether any of ours' figures grows worse than linearly from one size to the next.

``python -m benchmarks.fleet --jobs 1000 [--jobs 2000] [--ours-only-above 1000] [--seconds 30]``
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks import _requests
from benchmarks._common import (
    FakeHubProcess,
    detection_latencies,
    fake_hub,
    follow_jobs,
    machine,
    print_json,
    progress,
    ratio,
    summary,
)

COMPETITORS = ("ours", "official", "poller")
POLLER_INTERVAL = 5.0


def _request_figures(
    requests: list[dict[str, Any]], hub_jobs: list[dict[str, Any]], job_minutes: float
) -> dict[str, Any]:
    """Hub requests by kind, per Job and per Job-minute; and what the end checks cost.

    The end checks are the stage requests (inspects, listing pages) from the first log stream's
    end on: with 30 s Jobs and the default 60 s poll interval no backstop round comes before.
    """
    counts = _requests.count(requests)
    n = max(len(hub_jobs), 1)
    ends = [j["work_ended_at"] for j in hub_jobs if j["work_ended_at"]]
    return {
        **counts,
        "per_job": round(counts["total"] / n, 2),
        "per_job_minute": round(counts["total"] / job_minutes, 3) if job_minutes else None,
        "end_checks": _requests.end_checks(requests, min(ends), len(hub_jobs)) if ends else None,
    }


def _last_line_delays(result: dict[str, Any], hub_jobs: list[dict[str, Any]]) -> list[float]:
    """Seconds from each Job's last log line on the Hub to that line in the task logger."""
    by_index = {int(k): v for k, v in (result.get("last_line_of_job") or {}).items()}
    order = {job_id: i for i, job_id in enumerate(result.get("job_ids") or [])}
    delays = []
    for job in hub_jobs:
        i = order.get(job["id"])
        if i is not None and i in by_index and job["work_ended_at"]:
            delays.append(by_index[i] - job["work_ended_at"])
    return delays


def _probe(result: dict[str, Any]) -> dict[str, Any]:
    """The fake Hub's answer time during the run, its worst as [seconds after the start, ms]."""
    probe = dict(result.get("fake_hub_probe_ms") or {})
    probe["worst"] = [[round(at - result["started_at"], 1), ms] for at, ms in probe.pop("worst_at", [])]
    return probe


def _lag(result: dict[str, Any]) -> dict[str, Any]:
    """The ticker's figures, its worst ticks as [seconds after the start, lag ms]."""
    lag = dict(result["ticker_lag_ms"])
    lag["worst"] = [[round(at - result["started_at"], 1), ms] for at, ms in lag.get("worst", [])]
    return lag


def _figures(
    result: dict[str, Any], hub_jobs: list[dict[str, Any]], requests: list[dict[str, Any]]
) -> dict[str, Any]:
    jobs = {j["id"]: j for j in hub_jobs}
    ends = [j["work_ended_at"] for j in hub_jobs if j["work_ended_at"]]
    latencies, missed = detection_latencies(result, hub_jobs)
    wrong = sum(1 for event in result["events"].values() if event[1] not in ("success", "COMPLETED"))
    job_minutes = sum((j["terminal_at"] or time.time()) - j["created_at"] for j in jobs.values()) / 60
    lines = dict(result["lines"])
    return {
        "jobs_detected": len(latencies),
        "jobs_not_detected": missed,
        "wrong_outcome": wrong,
        "detection_latency_s": summary(latencies),
        "last_line_delay_s": summary(_last_line_delays(result, hub_jobs)),
        "loop_lag_ms": _lag(result),
        "gc_pauses": result.get("gc_pauses"),  # what much of the loop lag is: full collections
        "streams_end_window_s": [
            round(min(ends) - result["started_at"], 1) if ends else None,
            round(max(ends) - result["started_at"], 1) if ends else None,
        ],
        "cpu_s": result["cpu_s"],
        "rss_base_mb": result["rss_base_mb"],
        "rss_peak_mb": result["rss_peak_mb"],
        "rss_growth_mb": round(result["rss_peak_mb"] - result["rss_base_mb"], 1),
        "lines": lines,
        "hub_requests": _request_figures(requests, hub_jobs, job_minutes),
        "wall_s": round(result["ended_at"] - result["started_at"], 2),
        "fake_hub_cpu_s": result.get("fake_hub_cpu_s"),
        "fake_hub_answer_ms": _probe(result),
        "errors": result["error_count"],
        "load_avg_1m_after": round(os.getloadavg()[0], 2),  # above the 2 cores: others' work slowed this
        "first_errors": result["errors"][:3],
    }


def run_one(
    hub: FakeHubProcess,
    mode: str,
    n: int,
    seconds: float,
    rate: float,
    poll_interval: float,
    phases: str = "spread",
) -> dict[str, Any]:
    per_job = max(1, round(seconds * rate))
    # Jobs started together do not print in the same millisecond: each spends its own share of one
    # line interval scheduling, so the fleet's lines arrive evenly ("spread"). "lockstep" is the worst
    # case: every Job prints at the same instants (the fake Hub creates them within ~0.3 s), and each
    # burst of 1,000 lines is read in one or two loop passes (README "Performance").
    scenarios = [
        {
            "name": f"fleet-{i}-{phases}",
            "lines": [f"job-{i} line {k}" for k in range(per_job)],
            "line_interval": 1 / rate,
            "scheduling_seconds": round(i / n / rate, 4) if phases == "spread" else 0.0,
        }
        for i in range(n)
    ]
    # The poller starts each Job's checks at a random phase: in lock-step, 1,000 requests every 5 s
    # queue in httpx's 100-connection pool, whose O(queued x connections) scans then stall the loop.
    args = ["--interval", str(POLLER_INTERVAL), "--random-phase"] if mode == "poller" else []
    progress(f"fleet: {mode}, {n} Jobs x {seconds:g} s at {rate:g} lines/s")
    # A bigger fleet takes longer to start (and to create: its first Jobs print meanwhile).
    timeout = seconds + 45 + n * 0.02
    result, hub_jobs, requests = follow_jobs(
        hub, mode, scenarios, timeout=timeout, poll_interval=poll_interval, extra_args=args
    )
    figures = _figures(result, hub_jobs, requests)
    if mode == "poller":
        figures["lines"]["note"] = "a poller streams no log: every line is missing from the task log"
    progress(
        f"fleet: {mode} done: lag p99 {figures['loop_lag_ms']['p99']} ms, cpu {figures['cpu_s']} s, "
        f"rss {figures['rss_peak_mb']} MB, detection p50 {figures['detection_latency_s']['p50']} s, "
        f"lost {figures['lines']['lost']}, doubled {figures['lines']['doubled']}, "
        f"req/job-min {figures['hub_requests']['per_job_minute']}"
    )
    return figures


def _ratios(ours: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    return {
        "loop_lag_p99": ratio(ours["loop_lag_ms"]["p99"], other["loop_lag_ms"]["p99"]),
        "cpu_s": ratio(ours["cpu_s"], other["cpu_s"]),
        "rss_peak": ratio(ours["rss_peak_mb"], other["rss_peak_mb"]),
        "rss_growth": ratio(ours["rss_growth_mb"], other["rss_growth_mb"]),
        "hub_requests_per_job_minute": ratio(
            ours["hub_requests"]["per_job_minute"], other["hub_requests"]["per_job_minute"]
        ),
        "detection_p50": ratio(ours["detection_latency_s"]["p50"], other["detection_latency_s"]["p50"]),
        "detection_p99": ratio(ours["detection_latency_s"]["p99"], other["detection_latency_s"]["p99"]),
    }


def _targets(figures: dict[str, Any]) -> dict[str, Any]:
    """Issue 11's fleet targets for ours (the RSS one against the official client of the same run)."""
    ours, official = figures["ours"], figures.get("official")
    detection, lag = ours["detection_latency_s"], ours["loop_lag_ms"]
    end_checks = ours["hub_requests"]["end_checks"] or {}
    out: dict[str, Any] = {
        "zero_lines_lost": ours["lines"]["lost"] == 0,
        "zero_lines_doubled": ours["lines"]["doubled"] == 0,
        "all_jobs_detected": ours["jobs_not_detected"] == 0 and ours["wrong_outcome"] == 0,
        "detection_p50_under_1s": detection["p50"] is not None and detection["p50"] < 1.0,
        "detection_p99_under_2s": detection["p99"] is not None and detection["p99"] < 2.0,
        "loop_lag_p99_under_100ms": lag["p99"] is not None and lag["p99"] < 100,
        "end_checks_one_inspect_per_job_and_few_rounds": bool(
            end_checks.get("target_at_most_one_inspect_per_job_and_few_rounds")
        ),
    }
    if official:
        out["rss_growth_at_most_0_3x_official"] = ours["rss_growth_mb"] <= 0.3 * official["rss_growth_mb"]
    return out


# Totals expected to grow in proportion to the Jobs; the rest (latencies, lag) should not grow at all.
_TOTALS = {
    "cpu_s": ("cpu_s",),
    "rss_growth_mb": ("rss_growth_mb",),
    "hub_requests": ("hub_requests", "total"),
    "end_check_requests": ("hub_requests", "end_checks", "total"),
    "fake_hub_cpu_s": ("fake_hub_cpu_s",),
}
# ...with the value under which a growth is noise (a few ms of loop lag doubling is no trend).
_LATENCIES = {
    "detection_p50_s": (("detection_latency_s", "p50"), 0.5),
    "detection_p99_s": (("detection_latency_s", "p99"), 0.5),
    "loop_lag_p99_ms": (("loop_lag_ms", "p99"), 50.0),
    "last_line_delay_p99_s": (("last_line_delay_s", "p99"), 0.5),
}
# A ratio this much above the Jobs' ratio counts as worse than linear (runs on a shared machine vary).
_SLACK = 1.2


def _dig(figures: dict[str, Any], keys: Sequence[str]) -> float | None:
    value: Any = figures
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) else None


def _scaling(sizes: dict[str, Any]) -> dict[str, Any]:
    """Ours from one size to the next: each figure's ratio against the Jobs' ratio."""
    ns = sorted(int(n) for n in sizes)
    out: dict[str, Any] = {}
    for small, large in itertools.pairwise(ns):
        a, b = sizes[str(small)]["competitors"]["ours"], sizes[str(large)]["competitors"]["ours"]
        jobs_ratio = large / small
        step: dict[str, Any] = {"jobs_ratio": round(jobs_ratio, 2)}
        worse = []
        figures = {name: (keys, 0.0) for name, keys in _TOTALS.items()} | _LATENCIES
        for name, (keys, floor) in figures.items():
            before, after = _dig(a, keys), _dig(b, keys)
            r = ratio(after, before, 2)
            step[name] = [before, after, r]
            if r is not None and after is not None and after > floor and r > jobs_ratio * _SLACK:
                worse.append(name)
        step["worse_than_linear"] = worse
        out[f"{small}->{large}"] = step
    return out


def run(
    jobs: Sequence[int] = (1000, 2000),
    seconds: float = 30.0,
    rate: float = 2.0,
    stage_lag: float = 1.0,
    poll_interval: float = 60.0,
    competitors: Sequence[str] = COMPETITORS,
    ours_only_above: int | None = None,
    phases: str = "spread",
) -> dict[str, Any]:
    """Each size on a fresh fake Hub; sizes above ``ours_only_above`` run ours alone."""
    started = time.time()
    sizes: dict[str, Any] = {}
    for n in jobs:
        modes = ["ours"] if ours_only_above is not None and n > ours_only_above else list(competitors)
        with fake_hub(stage_lag=stage_lag) as hub:
            figures = {mode: run_one(hub, mode, n, seconds, rate, poll_interval, phases) for mode in modes}
        entry: dict[str, Any] = {"competitors": figures}
        if "ours" in figures:
            entry["ratios"] = {
                f"ours/{m}": _ratios(figures["ours"], figures[m]) for m in figures if m != "ours"
            }
            entry["targets"] = _targets(figures)
        sizes[str(n)] = entry
    compared = [n for n in jobs if len(sizes[str(n)]["competitors"]) > 1] or list(jobs)
    return {
        "benchmark": "fleet",
        "parameters": {
            "jobs": list(jobs),
            "seconds_per_job": seconds,
            "lines_per_second": rate,
            "stage_lag_s": stage_lag,
            "trigger_poll_interval_s": poll_interval,
            "poller_interval_s": POLLER_INTERVAL,
            "keepalive_interval_s": 15.0,
            "competitors": list(competitors),
            "ours_only_above": ours_only_above,
            "phases": phases,
        },
        "notes": [
            "each competitor runs alone in a fresh interpreter; the fake Hub is a separate process, fresh per size",
            "loop_lag_ms: how late a 50 ms ticker wakes, in the event loop (ours, poller) or a thread (official);"
            " worst: [s after the follower started, ms]; streams_end_window_s: when the Jobs' logs ended",
            "gc_pauses: the cyclic garbage collector's pauses in the follower (a full collection stops the"
            " loop for as long as it takes to traverse every tracked object)",
            "fake_hub_answer_ms: the fake Hub's own answer time meanwhile (one process, one event loop):"
            " when it is slow, every competitor waits on it",
            "rss_base_mb: after the same imports in every competitor (Airflow, huggingface_hub, provider)",
            "detection latency: trigger event time minus the fake Hub's terminal_at (same clock)",
            "official: namespace passed explicitly (no whoami per call); its shared httpx pool limit lifted",
            "poller: plain httpx.AsyncClient, each Job's checks start at a random phase in the interval",
            "a Job without an event 45 s (+20 s per 1,000 Jobs) after its planned end counts as not detected",
            "scaling: [smaller size, larger size, ratio] of ours; totals (CPU, RSS growth, requests) are"
            f" worse than linear above {_SLACK:g}x the Jobs' ratio, latencies likewise (above 0.5 s, 50 ms lag)",
        ],
        "machine": machine(),
        "sizes": sizes,
        "scaling": _scaling(sizes),
        "targets": sizes[str(max(compared))].get("targets", {}),
        "targets_at": max(compared),
        "wall_s": round(time.time() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, action="append", help="Jobs followed at once (repeatable)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each Job writes its log")
    parser.add_argument("--rate", type=float, default=2.0, help="lines per second per Job")
    parser.add_argument("--stage-lag", type=float, default=1.0)
    parser.add_argument("--poll-interval", type=float, default=60.0, help="HfJobTrigger's poll_interval")
    parser.add_argument("--competitors", default=",".join(COMPETITORS))
    parser.add_argument(
        "--phases", choices=("spread", "lockstep"), default="spread",
        help="when the Jobs print: each at its own phase of the line interval, or all at the same instants",
    )  # fmt: skip
    parser.add_argument("--ours-only-above", type=int, help="sizes above this run ours alone")
    args = parser.parse_args(argv)
    print_json(
        run(
            jobs=args.jobs or [1000, 2000], seconds=args.seconds, rate=args.rate, stage_lag=args.stage_lag,
            poll_interval=args.poll_interval, competitors=[c for c in args.competitors.split(",") if c],
            ours_only_above=args.ours_only_above, phases=args.phases,
        )
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
