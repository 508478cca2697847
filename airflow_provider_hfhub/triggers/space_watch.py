"""Follow one Space until it reaches a target stage: stream its logs and decide the outcome.

The single implementation behind both paths: ``HfSpaceTrigger.run()`` awaits it on the triggerer,
and the operators' sync path runs it with ``asyncio.run`` in the worker, so results and errors are
the same on both. Pure async: no sync I/O here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub.errors import HubError
from airflow_provider_hfhub.hub.models import SpaceRuntime
from airflow_provider_hfhub.hub.retry import is_retryable
from airflow_provider_hfhub.hub.stages import SpaceStage
from airflow_provider_hfhub.triggers.events import LOG_TAIL_LINES, event, space_summary
from airflow_provider_hfhub.triggers.log_stream import LogForwarder, drain, stop

if TYPE_CHECKING:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

# Once the outcome is known, the log stream may still be handing over its last lines: keep reading
# while it makes progress, and stop once it is quiet this long (a RUNNING Space's run log never ends).
DRAIN_QUIET_SECONDS = 0.5
# A Space waiting to run that sits in one of these will not start by itself.
_STOPPED = frozenset({SpaceStage.PAUSED, SpaceStage.STOPPED, SpaceStage.DELETING})
# After a restart the Hub may report the old run as RUNNING for a few seconds. A RUNNING still
# unexplained this long after the request is taken as the new run: a restart too quick for the polls
# to see, or a trigger re-run after a triggerer restart, which forgot what it had seen.
STALE_RUNNING_GRACE_SECONDS = 120.0
_BUILD_FAILURES = frozenset({SpaceStage.BUILD_ERROR, SpaceStage.CONFIG_ERROR, SpaceStage.NO_APP_FILE})


@dataclass(frozen=True)
class SpaceWatch:
    """What to wait for; the field names are ``HfSpaceTrigger``'s arguments.

    :param target_stages: stages that end the wait well (``RUNNING`` for the operators).
    :param hardware: with RUNNING, also wait until the current hardware is this one.
    :param after_restart: a RUNNING counts only once the Space was seen leaving RUNNING, its ``sha``
        moved from ``restart_sha``, or ``STALE_RUNNING_GRACE_SECONDS`` passed since ``started_at``:
        right after a restart the Hub can still report the old run.
    :param restart_sha: the runtime ``sha`` the restart (or hardware request) answered with.
    :param startup_timeout: seconds from ``started_at`` (epoch) the Space may take to get there.
    :param execution_deadline: absolute epoch seconds (the task's execution deadline).
    :param replay_before: lines stamped before this epoch were already shown (triggerer restart).
    """

    repo_id: str
    target_stages: tuple[str, ...] = ("RUNNING",)
    hardware: str | None = None
    after_restart: bool = False
    restart_sha: str | None = None
    stream_logs: bool = True
    poll_interval: float = 10.0
    startup_timeout: float | None = None
    started_at: float | None = None
    execution_deadline: float | None = None
    replay_before: float | None = None
    max_line_length: int = 8000


class Progress:
    """What the watch has seen so far, and the verdict on each runtime read."""

    def __init__(self, watch: SpaceWatch) -> None:
        self.watch = watch
        self.left_running = not watch.after_restart
        self.started = watch.started_at if watch.started_at is not None else time.time()
        self.last_seen: tuple[str, str | None, str | None, bool] | None = None

    def judge(self, runtime: SpaceRuntime) -> tuple[str, str] | None:
        """``(status, message)`` once the wait is over, None to keep waiting."""
        watch, stage, name = self.watch, runtime.stage, str(runtime.stage)
        if stage is not SpaceStage.RUNNING:
            self.left_running = True
        elif watch.restart_sha and runtime.sha and runtime.sha != watch.restart_sha:
            self.left_running = True  # a build newer than the one the restart answered with
        elif not self.left_running and time.time() - self.started >= STALE_RUNNING_GRACE_SECONDS:
            self.left_running = True
        space = f"Space {watch.repo_id}"
        if name in watch.target_stages:
            if stage is SpaceStage.RUNNING and not self.left_running:
                return None  # the run from before the restart, still reported
            if stage is SpaceStage.RUNNING and watch.hardware and runtime.hardware != watch.hardware:
                return None  # requested switched at once; current follows once the rebuild is done
            on = f" on {runtime.hardware}" if runtime.hardware else ""
            return "success", f"{space} is {name}{on}"
        detail = f": {runtime.error_message}" if runtime.error_message else ""
        if stage.is_error:
            return "failed", f"{space} ended {name}{detail}"
        if "RUNNING" in watch.target_stages and stage in _STOPPED:
            return (
                "failed",
                f"{space} is {name} while waiting for it to run{detail}; it will not start by itself",
            )
        return None

    def where(self, runtime: SpaceRuntime) -> str:
        """Where the Space is, in words: its stage and why that is not (yet) the target."""
        stage, hardware = runtime.stage, runtime.hardware
        if stage is SpaceStage.SLEEPING:
            return "SLEEPING (asleep, not running: a visit or a restart wakes it)"
        if stage is SpaceStage.RUNNING and not self.left_running:
            return "RUNNING (still the run from before the restart: waiting for the new one)"
        if stage is SpaceStage.RUNNING and self.watch.hardware and hardware != self.watch.hardware:
            return f"RUNNING on {hardware} (waiting for {self.watch.hardware})"
        return str(stage)

    def describe(self, runtime: SpaceRuntime, log: logging.Logger | Any) -> None:
        """Log each new stage / hardware pair once, so the task log tells where the Space is."""
        seen = (str(runtime.stage), runtime.hardware, runtime.requested_hardware, self.left_running)
        if seen != self.last_seen:
            self.last_seen = seen
            where, current, requested = self.where(runtime), runtime.hardware, runtime.requested_hardware
            log.info(
                "Space %s is %s (hardware %s, requested %s)", self.watch.repo_id, where, current, requested
            )


async def _forward(
    hook: HfHubHook, watch: SpaceWatch, forward: LogForwarder, wake: asyncio.Event, log: logging.Logger | Any
) -> None:
    """The build log, then the run log; each end (and the first run line) is worth a stage check."""
    try:
        for build in (True, False):
            first = True
            async for line in hook.afetch_space_logs(watch.repo_id, build=build, follow=True):
                forward(line)
                if first and not build:
                    wake.set()  # the app is talking: it is starting, RUNNING is near
                first = False
            wake.set()
    except HubError as exc:
        log.warning(
            "Stopped streaming the logs of Space %s (%s); still following its stage", watch.repo_id, exc
        )


async def _log_tail(hook: HfHubHook, repo_id: str, stage: SpaceStage) -> list[str]:
    """The last lines of the log that explains a failure, when they were not streamed."""
    lines: list[str] = []
    with contextlib.suppress(HubError):
        async for line in hook.afetch_space_logs(repo_id, build=stage in _BUILD_FAILURES, follow=False):
            lines.append(line.text)
    return lines[-LOG_TAIL_LINES:]


async def watch_space(hook: HfHubHook, watch: SpaceWatch, log: logging.Logger | Any) -> dict[str, Any]:
    """Follow the Space until a target stage, a failure stage or a timeout; return the event payload."""
    await hook.aget_conn()  # look the connection up once, before two tasks need it
    url = hook.space_url(watch.repo_id)  # the config is cached now: no sync I/O
    forward = LogForwarder(log, watch.max_line_length, watch.replay_before)
    wake = asyncio.Event()
    logs = asyncio.ensure_future(_forward(hook, watch, forward, wake, log)) if watch.stream_logs else None
    progress = Progress(watch)
    startup_end = progress.started + watch.startup_timeout if watch.startup_timeout is not None else None
    quick: deque[float] = deque()
    runtime: SpaceRuntime | None = None

    def summary() -> dict[str, Any] | None:
        return space_summary(watch.repo_id, runtime, url) if runtime is not None else None

    try:
        while True:
            try:
                runtime = await hook.aget_space_runtime(watch.repo_id)
            except HubError as exc:
                if not is_retryable(exc, creates=False):
                    return event("error", f"Could not follow Space {watch.repo_id}: {exc}", space=summary())
                log.warning("The Hub did not answer about Space %s (%s); trying again", watch.repo_id, exc)
            else:
                verdict = progress.judge(runtime)
                progress.describe(runtime, log)
                if verdict is not None:
                    if logs is not None:
                        await drain(logs, forward, DRAIN_QUIET_SECONDS)
                    tail = list(forward.tail)
                    if verdict[0] == "failed" and not tail:
                        tail = await _log_tail(hook, watch.repo_id, runtime.stage)
                    return event(*verdict, space=summary(), log_tail=tail if verdict[0] != "success" else [])
            now = time.time()
            where = f"it is {progress.where(runtime)}" if runtime is not None else "its stage is unknown"
            if watch.execution_deadline is not None and now >= watch.execution_deadline:
                return event(
                    "timeout", f"Space {watch.repo_id} outlived the task's execution_timeout; {where}",
                    space=summary(), log_tail=list(forward.tail),
                )  # fmt: skip
            if startup_end is not None and now >= startup_end:
                wanted = " or ".join(watch.target_stages) + (
                    f" on {watch.hardware}" if watch.hardware else ""
                )
                return event(
                    "startup_timeout",
                    f"Space {watch.repo_id} was not {wanted} {watch.startup_timeout:g} s after the request "
                    f"(startup_timeout); {where}",
                    space=summary(), log_tail=list(forward.tail),
                )  # fmt: skip
            if wake.is_set():  # a stream ended or the app spoke: check again soon, backing off
                wake.clear()
                quick = deque(delay for delay in hook.stream.stage_check_delays if delay > 0)
            wait = quick.popleft() if quick else watch.poll_interval
            for end in (watch.execution_deadline, startup_end):
                if end is not None:
                    wait = min(wait, end - now)
            await _wait_for_wake(wake, max(wait, 0.0))
    finally:
        await stop(logs)


async def _wait_for_wake(wake: asyncio.Event, timeout: float) -> None:
    # Not asyncio.wait_for: before Python 3.12 it can swallow a cancellation racing with the event.
    waiter = asyncio.ensure_future(wake.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout)
    finally:
        waiter.cancel()
