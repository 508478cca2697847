"""Hub requests from the fake Hub's request log (``GET /_fake/requests``): kinds, windows, projections.

Kinds, by path: ``log_streams`` (``GET /api/jobs/{ns}/{id}/logs``), ``inspects``
(``GET /api/jobs/{ns}/{id}``), ``listing_pages`` (``GET /api/jobs/{ns}``, every page), ``other``.
A listing page without a ``cursor`` starts a round (``listing_rounds``): the fake Hub's next
page links add one (``testing/fake_hub/api_jobs.py``), as the Hub's ``Link`` header does.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

# The "api" bucket per 5-minute window (https://huggingface.co/docs/hub/rate-limits, "Hub APIs").
RATE_LIMITS_PER_5_MIN = {"free": 1000, "pro": 2500, "team": 3000}
PAGE_SIZE = 50  # the fake Hub's (testing/fake_hub/state.py); the Hub's own is not documented
PROJECTED_JOBS = 1000
PROJECTED_JOB_MINUTES = 60.0
DEFAULT_POLL_INTERVAL = 60.0
# The targets (issue 11): worst case, silent logs.
TARGET_PER_JOB_MINUTE = 0.05
TARGET_PER_5_MIN = 300
# "At most one outcome request per Job plus a few shared listing rounds": a few, taken as this many.
FEW_ROUNDS = 10

_JOB = re.compile(r"^/api/jobs/[^/]+/[0-9a-f]{24}$")
_LOGS = re.compile(r"^/api/jobs/[^/]+/[0-9a-f]{24}/logs$")
_LIST = re.compile(r"^/api/jobs/[^/]+$")
STAGE_KINDS = ("inspects", "listing_pages")


def kind(request: dict[str, Any]) -> str:
    path = request["path"]
    if request["method"] != "GET":
        return "other"
    if _LOGS.match(path):
        return "log_streams"
    if _JOB.match(path):
        return "inspects"
    if _LIST.match(path):
        return "listing_pages"
    return "other"


def starts_round(request: dict[str, Any]) -> bool:
    return kind(request) == "listing_pages" and not any(k == "cursor" for k, _ in request.get("query") or ())


def between(
    requests: Iterable[dict[str, Any]], start: float | None, end: float | None
) -> list[dict[str, Any]]:
    """The requests received in ``[start, end)`` (epoch seconds; None: open)."""
    return [r for r in requests if (start is None or r["time"] >= start) and (end is None or r["time"] < end)]


def count(requests: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Requests by kind, with ``listing_rounds`` and ``total`` (rounds are not requests of their own)."""
    kinds: Counter[str] = Counter()
    rounds = 0
    for r in requests:
        kinds[kind(r)] += 1
        rounds += starts_round(r)
    out = {k: kinds.get(k, 0) for k in ("log_streams", "inspects", "listing_pages", "other")}
    out["total"] = sum(kinds.values())
    out["listing_rounds"] = rounds
    return out


def end_checks(requests: Sequence[dict[str, Any]], since: float, jobs: int) -> dict[str, Any]:
    """What finding out ``jobs`` Jobs' outcomes cost: the stage requests from ``since`` (first end) on."""
    counts = count(between(requests, since, None))
    n = max(jobs, 1)
    stage = counts["inspects"] + counts["listing_pages"]
    return {
        **counts,
        "stage_requests_per_job": round(stage / n, 3),
        "inspects_per_job": round(counts["inspects"] / n, 3),
        "target_at_most_one_inspect_per_job_and_few_rounds": counts["inspects"] <= n
        and counts["listing_rounds"] <= FEW_ROUNDS,
        "few_rounds_means": f"<= {FEW_ROUNDS} listing rounds",
    }


def round_starts(requests: Iterable[dict[str, Any]]) -> list[float]:
    return [r["time"] for r in requests if starts_round(r)]


def rounds(requests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The listing rounds in order: their first and last request, pages, and the inspects that followed.

    A shared poller's round lists every page, then inspects the followed Jobs missing from the
    list; its next round starts with a first page again (``triggers/stage_poller.py``).
    """
    out: list[dict[str, Any]] = []
    for r in sorted(requests, key=lambda r: r["time"]):
        k = kind(r)
        if starts_round(r):
            out.append({"start": r["time"], "last": r["time"], "pages": 1, "inspects": 0})
        elif out and k in ("listing_pages", "inspects"):
            out[-1]["pages" if k == "listing_pages" else "inspects"] += 1
            out[-1]["last"] = r["time"]
    return out


def projection(
    *,
    jobs: int,
    round_pages: float,
    round_inspects: float,
    other_per_job_minute: float,
    start_cost: float,
    end_pages: float | None,
    end_inspects: float | None,
    end_other: float | None,
) -> dict[str, Any]:
    """Requests per 5 minutes for 1,000 one-hour Jobs at the default 60 s poll interval.

    Measured at ``jobs`` Jobs, scaled to 1,000: listing pages grow with the Jobs listed (one page
    per ``PAGE_SIZE`` of them), inspects and stream opens are per Job. ``quiet``: the steady
    backstop rounds alone (no Job starting or ending); ``churn``: 1,000 one-hour Jobs also start
    and end 1,000 / 12 times per 5 minutes, each paying its start and one isolated end.
    """
    scale = math.ceil(PROJECTED_JOBS / PAGE_SIZE) / math.ceil(max(jobs, 1) / PAGE_SIZE)
    rounds = 300.0 / DEFAULT_POLL_INTERVAL
    per_round = round_pages * scale + round_inspects
    quiet = rounds * per_round + other_per_job_minute * PROJECTED_JOBS * 5
    out: dict[str, Any] = {
        "assumptions": f"{PROJECTED_JOBS} Jobs of {PROJECTED_JOB_MINUTES:g} min, poll_interval "
        f"{DEFAULT_POLL_INTERVAL:g} s: {rounds:g} backstop rounds per 5 min of {per_round:.1f} requests",
        "quiet_per_5_min": round(quiet, 1),
        "quiet_per_job_minute": round(quiet / (PROJECTED_JOBS * 5), 4),
    }
    if end_pages is not None and end_inspects is not None and end_other is not None:
        ends = PROJECTED_JOBS / PROJECTED_JOB_MINUTES * 5
        per_end = end_pages * scale + end_inspects + end_other
        churn = ends * (start_cost + per_end)
        out.update(
            {
                "ends_per_5_min": round(ends, 1),
                "requests_per_isolated_end_at_1000": round(per_end, 1),
                "start_cost_per_job": round(start_cost, 2),
                "churn_per_5_min": round(churn, 1),
                "with_churn_per_5_min": round(quiet + churn, 1),
            }
        )
    worst = out.get("with_churn_per_5_min", quiet)
    out["share_of_limit"] = {plan: round(worst / limit, 3) for plan, limit in RATE_LIMITS_PER_5_MIN.items()}
    out["limits_per_5_min"] = dict(RATE_LIMITS_PER_5_MIN)
    out["targets"] = {
        "quiet_at_most_0_05_per_job_minute": quiet / (PROJECTED_JOBS * 5) <= TARGET_PER_JOB_MINUTE,
        "quiet_under_300_per_5_min": quiet < TARGET_PER_5_MIN,
    }
    if "with_churn_per_5_min" in out:
        out["targets"]["with_churn_under_300_per_5_min"] = out["with_churn_per_5_min"] < TARGET_PER_5_MIN
    return out
