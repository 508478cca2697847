"""What a Job's stages mean to a waiting task: the Job judge of the one watch loop (``watch.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub.cost import Budget
from airflow_provider_hfhub.hub.models import JobInfo
from airflow_provider_hfhub.hub.stages import JobStage
from airflow_provider_hfhub.triggers.events import LOG_TAIL_LINES, event, job_summary
from airflow_provider_hfhub.triggers.log_stream import LogForwarder
from airflow_provider_hfhub.triggers.stage_poller import Reader, Subscription, shared_poller
from airflow_provider_hfhub.triggers.usage import BudgetGuard, add_usage, follow_usage, job_cost
from airflow_provider_hfhub.triggers.watch import Verdict, log_tail, run_watch

if TYPE_CHECKING:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook


@dataclass(frozen=True)
class JobWatch:
    """What to watch for; the field names are ``HfJobTrigger``'s arguments.

    :param job_id: the Job to follow.
    :param namespace: the user or org that owns it.
    :param stream_logs: forward the Job's log lines into the task log.
    :param poll_interval: seconds between backstop stage checks (the log stream ends first, normally).
    :param scheduling_timeout: seconds a Job may stay in SCHEDULING after its creation.
    :param execution_deadline: absolute epoch seconds (the task's execution deadline); None for none.
    :param target_stages: stop as soon as the Job is in one of these (sensors); None: a terminal stage.
    :param collect_metrics: follow the Job's metrics stream beside its log, for the usage summary.
    :param price_per_minute: USD a billed minute of the Job's flavor costs (``cost_usd``); None: unknown.
    :param max_cost_usd: cancel the Job once its running cost reaches this (needs ``price_per_minute``).
    """

    job_id: str
    namespace: str
    stream_logs: bool = True
    poll_interval: float = 60.0
    scheduling_timeout: float | None = None
    execution_deadline: float | None = None
    target_stages: tuple[str, ...] | None = None
    collect_metrics: bool = False
    price_per_minute: float | None = None
    max_cost_usd: float | None = None

    def __post_init__(self) -> None:
        if self.target_stages is not None:  # a deserialized trigger hands back a list
            object.__setattr__(self, "target_stages", tuple(str(stage) for stage in self.target_stages))


@dataclass
class JobJudge:
    """Reads the Job's stage through the loop's shared stage poller (``stage_poller.py``)."""

    hook: HfHubHook
    watch: JobWatch
    log: logging.Logger | Any = None
    subscription: Subscription | None = field(default=None, init=False)
    _read: Reader | None = field(default=None, init=False)
    guard: BudgetGuard | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        watch = self.watch
        if watch.max_cost_usd is not None and watch.price_per_minute is not None:
            self.guard = BudgetGuard(self.hook, Budget(watch.max_cost_usd, watch.price_per_minute), self.log)

    @property
    def what(self) -> str:
        return f"Job {self.watch.job_id}"

    @property
    def check_at_start(self) -> bool:
        # While the log streams, its end (confirmed by a stage check in the flow) decides.
        watch = self.watch
        return (
            not watch.stream_logs
            or bool(watch.target_stages)
            or watch.scheduling_timeout is not None
            or self.guard is not None
        )

    @contextlib.asynccontextmanager
    async def session(self, news: asyncio.Event) -> AsyncIterator[None]:
        poller = shared_poller(await self.hook.aget_conn(), self.watch.namespace)
        async with poller.subscribe(self.watch.job_id, self.watch.poll_interval, news.set) as subscription:
            self.subscription = subscription
            self._read = subscription.reader()
            yield

    async def read(self, prompt: bool) -> JobInfo | None:
        assert self._read is not None, "read() runs inside session()"
        job = await self._read(prompt, None)
        if job is None or self.guard is None:
            return job
        # The budget is judged on this read (no request of its own); over it, the Job is cancelled now,
        # before the log is drained.
        return await self.guard.enforce(job, time.time())

    def verdict(self, job: JobInfo, now: float) -> Verdict | None:
        watch = self.watch
        if watch.target_stages and str(job.stage) in watch.target_stages:
            return Verdict("success", f"Job {job.id} is {job.stage}")
        over_budget = self.guard.verdict() if self.guard is not None else None
        if over_budget is not None:
            return over_budget
        if job.stage is JobStage.COMPLETED:
            return Verdict("success", f"Job {job.id} completed")
        if job.stage.is_terminal:
            detail = f": {job.status.message}" if job.status.message else ""
            return Verdict("failed", f"Job {job.id} ended {job.stage}{detail}")
        limit = self._scheduling_limit(job)
        if limit is not None and now >= limit:
            return Verdict(
                "scheduling_timeout",
                f"Job {job.id} was still waiting for {job.flavor} hardware after "
                f"{watch.scheduling_timeout:g} s (scheduling_timeout)",
            )
        return None

    def _scheduling_limit(self, job: JobInfo) -> float | None:
        timeout = self.watch.scheduling_timeout
        if timeout is None or job.stage is not JobStage.SCHEDULING or job.created_at is None:
            return None
        return job.created_at.timestamp() + timeout

    def next_check(self, job: JobInfo | None, now: float) -> float | None:
        # A start before the limit comes as news from the poller; at the limit, a fresh read decides.
        # So does the minute that reaches the budget.
        limit = self._scheduling_limit(job) if job is not None else None
        budget = self.guard.next_check(job, now) if self.guard is not None else None
        return min((at for at in (limit, budget) if at is not None), default=None)

    def where(self, job: JobInfo | None) -> str:
        return f"it is {job.stage}" if job is not None else "its stage is unknown"

    async def follow_logs(self, forward: LogForwarder, wake: asyncio.Event) -> None:
        watch = self.watch
        assert self.subscription is not None, "follow_logs runs inside session()"
        # The client's own iterator, not the hook's re-yielding twin: one generator layer less a line.
        client = await self.hook.aget_conn()
        lines = client.fetch_job_logs(
            job_id=watch.job_id, namespace=watch.namespace, follow=True, stages=self.subscription.reader()
        )
        async for line in lines:
            forward(line)

    async def conclude(self, verdict: Verdict, job: JobInfo | None, tail: list[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {"job_id": self.watch.job_id, "namespace": self.watch.namespace}
        if job is not None:
            fields["job"] = {**job_summary(job), **job_cost(job, self.watch.price_per_minute, time.time())}
        if verdict.status == "success":
            return event(verdict.status, verdict.message, **fields)  # no log tail: it would be logged
        if not tail and verdict.status == "failed":  # the error message needs them
            tail = await self._log_tail()
        return event(verdict.status, verdict.message, **fields, log_tail=tail)

    async def _log_tail(self) -> list[str]:
        """The last lines of a finished Job, for the error message when they were not streamed."""
        watch = self.watch
        return await log_tail(
            self.hook.afetch_job_logs(job_id=watch.job_id, namespace=watch.namespace, tail=LOG_TAIL_LINES)
        )


async def watch_job(
    hook: HfHubHook, watch: JobWatch, log: logging.Logger | Any, forward: LogForwarder | None = None
) -> dict[str, Any]:
    """Follow the Job until it ends (or reaches a target stage, or a timeout); return the event payload."""
    collect = watch.collect_metrics
    async with follow_usage(hook, watch.job_id, watch.namespace, log, collect=collect) as summary:
        payload = await run_watch(hook, JobJudge(hook, watch, log), watch, log, forward)
    return add_usage(payload, summary)
