"""Trigger events: a frozen set of statuses, built here and validated before an operator acts on them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_hfhub.hub.models import JobInfo, SpaceRuntime, format_datetime

# success: target reached. failed: the remote work ended badly (ERROR, CANCELED, BUILD_ERROR...).
# timeout: the execution deadline passed. scheduling_timeout / startup_timeout: stuck too long.
# error: the Hub could not be asked (permanent HTTP error, retries exhausted).
# budget: the Job's running cost reached max_cost_usd; the watch cancelled it.
STATUSES = frozenset(
    {"success", "failed", "timeout", "scheduling_timeout", "startup_timeout", "error", "budget"}
)
LOG_TAIL_LINES = 20


def job_summary(job: JobInfo) -> dict[str, Any]:
    """What the operator returns and the trigger sends: JSON-safe, no env and no secrets."""
    durations = job.raw.get("durations") or {}
    return {
        "id": job.id,
        "namespace": job.owner.name,
        "url": job.url,
        "stage": str(job.stage),
        "message": job.status.message,
        "flavor": job.flavor,
        "labels": dict(job.labels or {}),
        "created_at": format_datetime(job.created_at),
        "started_at": format_datetime(job.started_at),
        "finished_at": format_datetime(job.finished_at),
        "scheduling_seconds": durations.get("schedulingSecs"),
        "running_seconds": durations.get("runningSecs"),
    }


def space_summary(repo_id: str, runtime: SpaceRuntime, url: str) -> dict[str, Any]:
    return {
        "repo_id": repo_id,
        "url": url,
        "stage": str(runtime.stage),
        "hardware": runtime.hardware,
        "requested_hardware": runtime.requested_hardware,
        "sleep_time": runtime.sleep_time,
        "storage": runtime.storage,
        "error_message": runtime.error_message,
    }


def failure_text(payload: Mapping[str, Any]) -> str:
    """An event's message with the remote work's last log lines, as a failing task reports it."""
    tail = payload.get("log_tail") or []
    lines = "".join(f"\n  {line}" for line in tail)
    return f"{payload['message']}\nLast log lines:{lines}" if tail else str(payload["message"])


def cancel_failed_text(job_id: str, namespace: str | None, error: BaseException) -> str:
    """What to say when a Job could not be cancelled: it may run on, and how to stop it by hand."""
    ref = f"{namespace}/{job_id}" if namespace else job_id
    return (
        f"Could not cancel Hub Job {job_id} ({error}): it may still be running and billed. "
        f"Cancel it with `hf jobs cancel {ref}` or on its page on the Hub."
    )


def event(status: str, message: str, **fields: Any) -> dict[str, Any]:
    if status not in STATUSES:
        raise ValueError(f"unknown event status {status!r}")
    return {"status": status, "message": message, **fields}


def validate_event(payload: object) -> dict[str, Any]:
    """The event as a dict, or a clear error if it is not one of ours (never act on garbage)."""
    if not isinstance(payload, Mapping) or payload.get("status") not in STATUSES:
        raise ValueError(f"unexpected trigger event {payload!r}; expected a status in {sorted(STATUSES)}")
    return dict(payload)
