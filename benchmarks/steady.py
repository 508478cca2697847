"""Steady state: Jobs followed while none starts or ends, and what the Hub is asked per poll round.

Ours alone (``HfJobTrigger``s in one event loop, as in the fleet), ``poll_interval`` shortened so
the shared poller's backstop rounds show within the window, each kind on a fresh fake Hub:

- ``silent``: each Job's log says "Job started" and then only keep-alives (a scenario with no
  lines that holds). After the window a few Jobs are ended one at a time (isolated ends, how the
  Jobs of a long-running triggerer usually end), then all the others at once (the fake Hub's
  admin ``finish``, within about a second).
- ``printing``: each Job writes ``rate`` lines a second for longer than the window, then ends.

The window runs from when every Job's log stream is open to the first end (minus a margin each
side). Hub requests come from the fake Hub's request log (``_requests``): per poll round, per
Job-minute, per isolated end (beyond the steady rate), the end checks of the mass end, and the
projection for 1,000 one-hour Jobs at the default 60 s poll interval against the Hub's limits.

``python -m benchmarks.steady [--jobs 1000] [--poll-interval 5] [--window 25] [--kinds silent,printing]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
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
    summary,
)
from benchmarks.fleet import _figures

KINDS = ("silent", "printing")
MARGIN = 0.5  # seconds cut off each side of the window: a round in flight at its edge is not counted
ISOLATED_GAP = 3.0  # between isolated ends: each is detected (stage lag 1 s) before the next comes


def _startup(n: int) -> float:
    """Seconds the competitor should take to open every log stream (printing Jobs write that long more)."""
    return 3.0 + n * 0.01


def _startup_timeout(n: int) -> float:
    return 30.0 + n * 0.03


def _wait_for_streams(hub: FakeHubProcess, n: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while (opened := hub.open_log_streams()) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {opened} of {n} log streams open after {timeout:g} s")
        time.sleep(0.5)
    return time.time()


def _just_after_a_round(hub: FakeHubProcess, timeout: float = 30.0) -> None:
    """Return as soon as a backstop listing round that starts from now on has listed all its pages.

    The isolated ends then begin a whole poll interval before the next backstop round is due, and
    each one's checks move that round further away: a routine round cannot land in their phase.
    """
    since, deadline = time.time(), time.monotonic() + timeout
    pages = max((r["pages"] for r in _requests.rounds(hub.hub_requests())), default=1)
    while time.monotonic() < deadline:
        fresh = [r for r in _requests.rounds(hub.hub_requests()) if r["start"] >= since]
        if fresh and fresh[0]["pages"] >= pages:
            return
        time.sleep(0.05)
    raise RuntimeError(f"no listing round in {timeout:g} s")


def _driver(
    hub: FakeHubProcess, kind: str, n: int, window: float, isolated: int
) -> Callable[[list[str]], Any]:
    """What the benchmark does while ours follows: wait for the streams, then (silent) end the Jobs."""

    def drive(ids: list[str]) -> dict[str, Any]:
        marks: dict[str, Any] = {"streams_open_at": _wait_for_streams(hub, n, _startup_timeout(n))}
        if kind == "printing":
            return marks
        time.sleep(window + 2 * MARGIN)
        _just_after_a_round(hub)
        marks["isolated_ends"] = []
        for job_id in ids[:isolated]:
            marks["isolated_ends"].append(hub.finish_jobs([job_id])[0])
            time.sleep(ISOLATED_GAP)
        marks["mass_end"] = hub.finish_jobs(ids[isolated:])
        return marks

    return drive


def _round_figures(requests: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """The rounds wholly in ``[start, end)``: one still running at ``end`` may see Jobs that ended."""
    inside = [r for r in _requests.rounds(requests) if start <= r["start"] and r["last"] < end]
    n = len(inside)
    starts = [r["start"] for r in inside]
    return {
        "rounds": n,
        "pages_per_round": round(sum(r["pages"] for r in inside) / n, 2) if n else None,
        "inspects_per_round": round(sum(r["inspects"] for r in inside) / n, 2) if n else None,
        "round_period_s": round((starts[-1] - starts[0]) / (n - 1), 2) if n > 1 else None,
    }


def _window(requests: list[dict[str, Any]], n: int, start: float, end: float) -> dict[str, Any]:
    """Requests in the window: by kind, per poll round, per Job-minute."""
    counts = _requests.count(_requests.between(requests, start, end))
    minutes = max(end - start, 1e-9) / 60
    other = counts["total"] - counts["listing_pages"] - counts["inspects"]
    return {
        "seconds": round(end - start, 1),
        **counts,
        **_round_figures(requests, start, end),
        "per_job_minute": round(counts["total"] / (n * minutes), 4),
        "other_per_job_minute": round(other / (n * minutes), 4),
    }


def _isolated(requests: list[dict[str, Any]], marks: dict[str, Any]) -> dict[str, Any]:
    """Requests per isolated end, from the first isolated end to the mass end.

    The ends come ``ISOLATED_GAP`` s apart, less than the poll interval, and every prompt round
    moves the next backstop round a poll interval away: all rounds in the phase are the ends' own.
    """
    ends = marks["isolated_ends"]
    start, end = ends[0], marks["mass_end"][0]
    counts = _requests.count(_requests.between(requests, start, end))
    rounds = _round_figures(requests, start, end)
    k = len(ends)
    pages = rounds["rounds"] * (rounds["pages_per_round"] or 0)
    other = counts["total"] - counts["listing_pages"] - counts["inspects"]
    return {
        "ends": k,
        "phase_s": round(end - start, 1),
        **counts,
        **rounds,
        "per_end": {
            "listing_pages": round(pages / k, 2),
            "inspects": round(counts["inspects"] / k, 2),
            "other": round(other / k, 2),
        },
        "listing_rounds_per_end": round(rounds["rounds"] / k, 2),
    }


def _analyse(
    kind: str, n: int, result: dict[str, Any], hub_jobs: list[dict[str, Any]], requests: list[dict[str, Any]]
) -> dict[str, Any]:
    marks = result["during"]
    figures = _figures(result, hub_jobs, requests)
    figures.pop("hub_requests")  # the fleet's whole-run view; the phases below replace it
    start = marks["streams_open_at"] + MARGIN
    if kind == "silent":
        first_end = (marks["isolated_ends"] or [marks["mass_end"][0]])[0]
        mass_start, mass_jobs = marks["mass_end"][0], n - len(marks["isolated_ends"])
    else:
        first_end = mass_start = min(j["work_ended_at"] for j in hub_jobs if j["work_ended_at"])
        mass_jobs = n
    steady = _window(requests, n, start, first_end - MARGIN)
    # The last isolated end's checks may still run when the mass end starts: they are not its.
    isolated_ids = tuple(result["job_ids"][: len(marks.get("isolated_ends") or ())])
    mass_requests = [r for r in requests if not isolated_ids or not r["path"].endswith(isolated_ids)]
    before = _requests.count(_requests.between(requests, None, start))
    start_cost = (before["log_streams"] + before["other"]) / n
    isolated = _isolated(requests, marks) if marks.get("isolated_ends") else None
    per_end = isolated["per_end"] if isolated else {}
    projection = None
    if steady["rounds"]:  # none when the loop was too busy to poll (see loop_lag_ms)
        projection = _requests.projection(
            jobs=n,
            round_pages=steady["pages_per_round"],
            round_inspects=steady["inspects_per_round"],
            other_per_job_minute=steady["other_per_job_minute"],
            start_cost=start_cost,
            end_pages=per_end.get("listing_pages"),
            end_inspects=per_end.get("inspects"),
            end_other=per_end.get("other"),
        )
    out: dict[str, Any] = {
        "kind": kind,
        "window": steady,
        "start_requests_per_job": round(start_cost, 2),
        "isolated_ends": isolated,
        "mass_end": {
            "jobs": mass_jobs,
            "finish_window_s": round(marks["mass_end"][1] - mass_start, 2) if kind == "silent" else None,
            **_requests.end_checks(mass_requests, mass_start, mass_jobs),
        },
        "projection_1000_one_hour_jobs_at_60s": projection,
        **figures,
    }
    if isolated:
        ids = set(result["job_ids"][: isolated["ends"]])
        latencies, _ = detection_latencies(result, [j for j in hub_jobs if j["id"] in ids])
        out["isolated_ends"]["detection_latency_s"] = summary(latencies)
    return out


def run_kind(
    kind: str, n: int, poll_interval: float, window: float, isolated: int, rate: float
) -> dict[str, Any]:
    if kind == "silent":
        scenarios = [{"name": f"steady-silent-{i}", "hold": True} for i in range(n)]
        timeout = _startup_timeout(n) + window + isolated * ISOLATED_GAP + 45
    else:
        seconds = _startup(n) + window + 2 * MARGIN
        per_job = round(seconds * rate)
        scenarios = [
            {"name": f"steady-printing-{i}", "lines": [f"job-{i} line {k}" for k in range(per_job)], "line_interval": 1 / rate}
            for i in range(n)
        ]  # fmt: skip
        timeout = _startup_timeout(n) + seconds + 45
    progress(f"steady: {kind}, {n} Jobs, poll_interval {poll_interval:g} s, window {window:g} s")
    with fake_hub(stage_lag=1.0) as hub:
        result, hub_jobs, requests = follow_jobs(
            hub, "ours", scenarios, timeout=timeout, poll_interval=poll_interval,
            during=_driver(hub, kind, n, window, isolated),
        )  # fmt: skip
    out = _analyse(kind, n, result, hub_jobs, requests)
    window_figures, projection = out["window"], out["projection_1000_one_hour_jobs_at_60s"] or {}
    progress(
        f"steady: {kind} done: {window_figures['rounds']} rounds in {window_figures['seconds']} s, "
        f"{window_figures['pages_per_round']} pages/round, {window_figures['per_job_minute']} req/job-min; "
        f"projected per 5 min: {projection.get('quiet_per_5_min')} quiet, "
        f"{projection.get('with_churn_per_5_min')} with churn; lag p99 {out['loop_lag_ms']['p99']} ms"
    )
    return out


def run(
    jobs: int = 1000,
    poll_interval: float = 5.0,
    window: float = 25.0,
    isolated: int = 5,
    rate: float = 2.0,
    kinds: Sequence[str] = KINDS,
) -> dict[str, Any]:
    if poll_interval <= ISOLATED_GAP:
        raise ValueError(
            f"poll_interval must exceed {ISOLATED_GAP:g} s: the isolated ends are counted between rounds"
        )
    started = time.time()
    results = {kind: run_kind(kind, jobs, poll_interval, window, isolated, rate) for kind in kinds}
    silent = results.get("silent")
    targets: dict[str, Any] = {}
    if silent:  # the worst case carries the targets
        targets = dict((silent["projection_1000_one_hour_jobs_at_60s"] or {}).get("targets", {}))
        targets["mass_end_one_inspect_per_job_and_few_rounds"] = silent["mass_end"][
            "target_at_most_one_inspect_per_job_and_few_rounds"
        ]
        targets["all_jobs_detected"] = silent["jobs_not_detected"] == 0 and silent["wrong_outcome"] == 0
    return {
        "benchmark": "steady",
        "parameters": {
            "jobs": jobs,
            "trigger_poll_interval_s": poll_interval,
            "window_s": window,
            "isolated_ends": isolated,
            "isolated_gap_s": ISOLATED_GAP,
            "lines_per_second": rate,
            "stage_lag_s": 1.0,
            "page_size": _requests.PAGE_SIZE,
            "kinds": list(kinds),
        },
        "notes": [
            "ours alone, each kind on a fresh fake Hub; a listing round is one page per page_size running Jobs",
            "window: from every log stream open to the first end, 0.5 s off each side; no Job starts or ends in it",
            "per_job_minute is at the benchmark's poll interval; the projection scales rounds to the default 60 s;"
            " per round: the rounds wholly inside the window",
            "no projection when no round started in the window (the loop too busy to poll: see loop_lag_ms)",
            "isolated ends: requests per end, the other Jobs still running (every round then is a prompt one)",
            "projection: measured at `jobs`, listing pages scaled to 1,000 Jobs; churn = 1,000/12 starts and"
            " isolated ends per 5 minutes (one-hour Jobs), each at its measured cost",
            "limits: the Hub's 'api' bucket per 5 minutes (https://huggingface.co/docs/hub/rate-limits)",
        ],
        "machine": machine(),
        "kinds": results,
        "targets": targets,
        "wall_s": round(time.time() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.steady", description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--poll-interval", type=float, default=5.0, help="HfJobTrigger's poll_interval")
    parser.add_argument("--window", type=float, default=25.0, help="seconds with no Job starting or ending")
    parser.add_argument("--isolated", type=int, default=5, help="silent Jobs ended one at a time")
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    print_json(run(args.jobs, args.poll_interval, args.window, args.isolated, kinds=kinds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
