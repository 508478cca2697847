"""A Job's usage and cost inside the watch: its metrics stream beside the log, and the budget guard.

The metrics stream (docs/hub-api.md#job-metrics) never ends by itself and answers 406 once the Job
is over, so it is read in a task of its own that the watch stops when it has its outcome: it can
neither delay the end nor fail the task (a failure is a warning; the summary covers what came).
The budget guard costs no request of its own: it judges the stage reads the watch makes anyway
(answered by the loop's shared stage poller), from the Job's ``startedAt`` and the flavor's price
handed over by the operator (hub/cost.py).
Pure async; no Airflow import.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub import cost, usage
from airflow_provider_hfhub.hub.models import JobInfo
from airflow_provider_hfhub.hub.stages import JobStage
from airflow_provider_hfhub.triggers.events import cancel_failed_text
from airflow_provider_hfhub.triggers.watch import Verdict, stop

if TYPE_CHECKING:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook


@contextlib.asynccontextmanager
async def follow_usage(
    hook: HfHubHook, job_id: str, namespace: str, log: logging.Logger | Any, *, collect: bool
) -> AsyncIterator[usage.UsageSummary | None]:
    """Sum up the Job's metric samples while the body runs (nothing, not even a request, without ``collect``)."""
    if not collect:
        yield None
        return
    summary = usage.UsageSummary()
    reader = asyncio.ensure_future(_read_metrics(hook, job_id, namespace, summary, log))
    try:
        yield summary
    finally:
        await stop(reader)


async def _read_metrics(
    hook: HfHubHook, job_id: str, namespace: str, summary: usage.UsageSummary, log: logging.Logger | Any
) -> None:
    try:
        async for sample in hook.afetch_job_metrics(job_id=job_id, namespace=namespace, follow=True):
            summary.add(sample)
    except Exception as exc:  # a usage summary is a courtesy: never the reason a task fails
        log.warning(
            "Stopped reading the metrics of Job %s (%s); the usage summary covers what came", job_id, exc
        )


def add_usage(payload: dict[str, Any], summary: usage.UsageSummary | None) -> dict[str, Any]:
    """The event with the usage summary in its Job summary, when there is one."""
    found = summary.to_json() if summary is not None else None
    if found is not None and isinstance(payload.get("job"), dict):
        payload["job"]["usage"] = found
    return payload


def job_cost(job: JobInfo, per_minute: float | None, now: float) -> dict[str, Any]:
    """``{"cost_usd": ...}`` for the Job summary when its flavor's price is known, else nothing."""
    if per_minute is None:
        return {}
    return {"cost_usd": cost.cost_usd(cost.running_seconds(job, now), per_minute)}


@dataclass
class BudgetGuard:
    """Cancels a Job once its running cost reaches the budget; judged on the watch's own stage reads."""

    hook: HfHubHook
    budget: cost.Budget
    log: logging.Logger | Any
    tripped: str | None = None

    async def enforce(self, job: JobInfo, now: float) -> JobInfo:
        """Cancel the Job if it has reached the budget; the Job as it is after that."""
        if self.tripped is not None or job.stage.is_terminal:
            return job
        running = cost.running_seconds(job, now)
        if not self.budget.reached(running):
            return job
        self.tripped = (
            f"Job {job.id} reached its {self.budget.describe(running)} after {running:.0f} s running on "
            f"{job.flavor} ({cost.ROUNDING_RULE}, {cost.PRICING_URL}); cancelled: {job.url}"
        )
        self.log.warning("%s", self.tripped)
        try:
            await self.hook.acancel_job(job_id=job.id, namespace=job.owner.name)
            return await self.hook.ainspect_job(job_id=job.id, namespace=job.owner.name)
        except Exception as exc:
            self.log.error("%s", cancel_failed_text(job.id, job.owner.name, exc))
            return job

    def verdict(self) -> Verdict | None:
        return Verdict("budget", self.tripped) if self.tripped is not None else None

    def next_check(self, job: JobInfo | None, now: float) -> float | None:
        """Epoch seconds of the read that may find the budget reached; None until the Job runs.

        The Job is billed from the moment it runs (https://huggingface.co/docs/hub/jobs-pricing); its
        start comes as news from the stage poller (``stage_poller.py``), and the read it prompts
        sees ``startedAt``. From there, one read one second into the minute that reaches the budget.
        """
        after = self.budget.reached_after()
        if after is None or self.tripped is not None or job is None or job.started_at is None:
            return None
        if job.stage is JobStage.SCHEDULING:
            return None
        due = job.started_at.timestamp() + after + 1.0
        return max(due, now + 1.0) if math.isfinite(due) else None


def report(log: logging.Logger | Any, job: Mapping[str, Any]) -> None:
    """The task log's lines on what the Job used and cost, from its summary."""
    found = job.get("usage")
    if found:
        log.info("Usage of Job %s: %s", job.get("id"), usage.describe(found))
        idle = usage.idle_gpus(found)
        if idle is not None:
            log.warning(
                "The GPUs of Job %s averaged %.1f%% utilization (under %.0f%%): paying for a GPU the Job "
                "barely used; a smaller flavor or a CPU one may do",
                job.get("id"),
                idle,
                usage.IDLE_GPU_PERCENT,
            )
    if job.get("cost_usd") is not None:
        log.info(
            "Cost of Job %s: $%.6g for %s s running on %s (%s; %s)",
            job.get("id"),
            job["cost_usd"],
            job.get("running_seconds"),
            job.get("flavor"),
            cost.ROUNDING_RULE,
            cost.PRICING_URL,
        )
