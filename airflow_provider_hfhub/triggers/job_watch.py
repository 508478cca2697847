"""Follow one Job to its end: stream its log into a logger and decide the outcome.

The single implementation behind both paths: ``HfJobTrigger.run()`` awaits it on the triggerer, and
the operator's sync path runs it with ``asyncio.run`` in the worker, so results and errors are the
same on both. Pure async: no sync I/O here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub.errors import HubError
from airflow_provider_hfhub.hub.models import JobInfo, LogLine
from airflow_provider_hfhub.hub.retry import is_retryable
from airflow_provider_hfhub.hub.stages import JobStage
from airflow_provider_hfhub.triggers.events import LOG_TAIL_LINES, event, job_summary
from airflow_provider_hfhub.triggers.log_stream import LogForwarder, drain, stop

if TYPE_CHECKING:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

# While a Job waits for hardware the log says nothing; poll its stage this often to enforce
# scheduling_timeout (the stream-driven end covers RUNNING Jobs).
SCHEDULING_POLL_SECONDS = 5.0
# After the Job is terminal, the log stream may still be handing over its last lines: read on while
# it makes progress, and stop once it has been quiet this long (an endless empty stream never ends).
DRAIN_QUIET_SECONDS = 2.0


@dataclass(frozen=True)
class JobWatch:
    """What to watch for.

    :param execution_deadline: absolute epoch seconds (the task's execution deadline); None for none.
    :param scheduling_timeout: seconds a Job may stay in SCHEDULING after its creation.
    :param target_stages: stop as soon as the Job is in one of these (sensors); None: a terminal stage.
    :param replay_before: lines stamped before this epoch were already shown (triggerer restart).
    """

    job_id: str
    namespace: str
    stream_logs: bool = True
    poll_interval: float = 60.0
    scheduling_timeout: float | None = None
    execution_deadline: float | None = None
    target_stages: tuple[str, ...] | None = None
    replay_before: float | None = None
    max_line_length: int = 8000


async def _forward(hook: HfHubHook, watch: JobWatch, emit: Callable[[LogLine], None]) -> None:
    async for line in hook.afetch_job_logs(job_id=watch.job_id, namespace=watch.namespace, follow=True):
        emit(line)


async def _log_tail(hook: HfHubHook, watch: JobWatch) -> list[str]:
    """The last lines of a finished Job, for the error message when they were not streamed."""
    lines: list[str] = []
    with contextlib.suppress(HubError):
        async for line in hook.afetch_job_logs(
            job_id=watch.job_id, namespace=watch.namespace, tail=LOG_TAIL_LINES
        ):
            lines.append(line.text)
    return lines[-LOG_TAIL_LINES:]


def _outcome(job: JobInfo, tail: list[str]) -> dict[str, Any]:
    summary = job_summary(job)
    if job.stage is JobStage.COMPLETED:
        return event("success", f"Job {job.id} completed", job=summary, log_tail=tail)
    detail = f": {job.status.message}" if job.status.message else ""
    return event("failed", f"Job {job.id} ended {job.stage}{detail}", job=summary, log_tail=tail)


async def watch_job(hook: HfHubHook, watch: JobWatch, log: logging.Logger | Any) -> dict[str, Any]:
    """Follow the Job until it ends (or reaches a target stage, or a timeout); return the event payload."""
    forward = LogForwarder(log, watch.max_line_length, watch.replay_before)
    await hook.aget_conn()  # look the connection up once, before two tasks need it
    logs = asyncio.ensure_future(_forward(hook, watch, forward)) if watch.stream_logs else None
    # While the log streams, its end (confirmed by a stage check in the flow) decides, so the first
    # stage check can wait for the stream; the poll every poll_interval is only the backstop.
    polling = logs is None or bool(watch.target_stages) or watch.scheduling_timeout is not None
    try:
        while True:
            job = None
            if polling or logs is None or logs.done():
                try:
                    job = await hook.ainspect_job(job_id=watch.job_id, namespace=watch.namespace)
                except HubError as exc:
                    if not is_retryable(exc, creates=False):
                        return event(
                            "error", f"Could not follow Job {watch.job_id}: {exc}",
                            job_id=watch.job_id, namespace=watch.namespace,
                        )  # fmt: skip
                    log.warning("The Hub did not answer about Job %s (%s); trying again", watch.job_id, exc)
            if job is not None:
                if watch.target_stages and str(job.stage) in watch.target_stages:
                    return event("success", f"Job {job.id} is {job.stage}", job=job_summary(job), log_tail=[])
                if job.stage.is_terminal:
                    if logs is not None:
                        await drain(logs, forward, DRAIN_QUIET_SECONDS)
                    tail = list(forward.tail)
                    if not tail and job.stage is not JobStage.COMPLETED:  # the error message needs them
                        tail = await _log_tail(hook, watch)
                    return _outcome(job, tail)
            now = time.time()
            if watch.execution_deadline is not None and now >= watch.execution_deadline:
                return event(
                    "timeout", f"Job {watch.job_id} outlived the task's execution_timeout",
                    job_id=watch.job_id, namespace=watch.namespace, log_tail=list(forward.tail),
                )  # fmt: skip
            polling = True
            streaming = logs is not None and not logs.done()
            wait = watch.poll_interval
            if watch.execution_deadline is not None:
                wait = min(wait, watch.execution_deadline - now)
            if job is not None and job.stage is JobStage.SCHEDULING and watch.scheduling_timeout is not None:
                created = job.created_at.timestamp() if job.created_at else now
                if now - created >= watch.scheduling_timeout:
                    return event(
                        "scheduling_timeout",
                        f"Job {job.id} was still waiting for {job.flavor} hardware after "
                        f"{watch.scheduling_timeout:g} s (scheduling_timeout)",
                        job=job_summary(job), log_tail=[],
                    )  # fmt: skip
                wait = min(
                    wait or SCHEDULING_POLL_SECONDS,
                    SCHEDULING_POLL_SECONDS,
                    created + watch.scheduling_timeout - now,
                )
            if streaming and logs is not None:
                # Stream-driven: the log flow ends only once the Hub reports a terminal stage.
                await asyncio.wait({logs}, timeout=max(wait, 0.0))
                if logs.done():
                    _report_stream_end(logs, log, watch.job_id)
            else:
                await asyncio.sleep(max(wait, 0.0))
    finally:
        await stop(logs)


def _report_stream_end(logs: asyncio.Future[None], log: logging.Logger | Any, job_id: str) -> None:
    if logs.cancelled() or logs.exception() is None:
        return
    log.warning(
        "Stopped streaming the log of Job %s (%s); still following its stage", job_id, logs.exception()
    )
