"""What a Space's stages mean to a waiting task: the Space judge of the one watch loop (``watch.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub.models import SpaceRuntime
from airflow_provider_hfhub.hub.stages import SpaceStage
from airflow_provider_hfhub.triggers.events import event, space_summary
from airflow_provider_hfhub.triggers.log_stream import LogForwarder
from airflow_provider_hfhub.triggers.watch import Verdict, log_tail, run_watch

if TYPE_CHECKING:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

# A Space waiting to run that sits in one of these will not start by itself.
_STOPPED = frozenset({SpaceStage.PAUSED, SpaceStage.STOPPED, SpaceStage.DELETING})
_BUILD_FAILURES = frozenset({SpaceStage.BUILD_ERROR, SpaceStage.CONFIG_ERROR, SpaceStage.NO_APP_FILE})
# While a restart is not yet seen taking effect, the runtime is read this often (not every
# poll_interval): a restart's stages between the stale RUNNING and the new one last seconds.
CONFIRM_POLL_SECONDS = 2.0
# A Space never seen leaving RUNNING this long after the restart request ends the wait as a
# startup_timeout (never as a success): the restart was too quick for the reads, or never took.
UNSEEN_RESTART_SECONDS = 600.0


@dataclass(frozen=True)
class SpaceWatch:
    """What to wait for; the field names are ``HfSpaceTrigger``'s arguments.

    The rule for "this RUNNING is the new run" rests only on what the Hub's runtime object has
    (``stage``, ``hardware.current`` / ``requested``; it has no build id or ``sha``:
    docs/hub-api.md#space-runtime). Nothing time-based ever turns a RUNNING into success.

    :param target_stages: stages that end the wait well (``RUNNING`` for the operators).
    :param hardware: with RUNNING, also wait until ``hardware.current`` is this one. The Hub switches
        ``requested`` at once and ``current`` only once the Space runs on the new hardware, so the
        run from before the request cannot pass for the new one.
    :param after_restart: the restart's own answer still said RUNNING: right after a restart the Hub
        can report the old run as RUNNING for a moment, so a RUNNING counts only once the Space has
        been seen in another stage (BUILDING, RUNNING_BUILDING, APP_STARTING...). Never seen leaving
        it ``UNSEEN_RESTART_SECONDS`` after ``started_at`` (a restart quicker than the reads, or a
        trigger re-run that forgot what it saw), the wait ends with ``startup_timeout``, not success.
    :param startup_timeout: seconds from ``started_at`` (epoch) the Space may take to get there.
    :param execution_deadline: absolute epoch seconds (the task's execution deadline).
    """

    repo_id: str
    target_stages: tuple[str, ...] = ("RUNNING",)
    hardware: str | None = None
    after_restart: bool = False
    stream_logs: bool = True
    poll_interval: float = 10.0
    startup_timeout: float | None = None
    started_at: float | None = None
    execution_deadline: float | None = None

    def __post_init__(self) -> None:
        if self.target_stages is not None:  # a deserialized trigger hands back a list
            object.__setattr__(self, "target_stages", tuple(str(stage) for stage in self.target_stages))


class Progress:
    """What the watch has seen so far, and the verdict on each runtime read (pure: no I/O, no clock)."""

    def __init__(self, watch: SpaceWatch, now: float) -> None:
        self.watch = watch
        self.left_running = not watch.after_restart
        self.started = watch.started_at if watch.started_at is not None else now
        self.last_seen: tuple[str, str | None, str | None, bool] | None = None

    @property
    def unseen_restart_end(self) -> float | None:
        """When a restart never seen taking effect ends the wait; None once it was seen."""
        return None if self.left_running else self.started + UNSEEN_RESTART_SECONDS

    def judge(self, runtime: SpaceRuntime, now: float) -> Verdict | None:
        """The outcome once the wait is over, None to keep waiting."""
        watch, stage, name = self.watch, runtime.stage, str(runtime.stage)
        if stage is not SpaceStage.RUNNING:
            self.left_running = True  # the restart took effect: the next RUNNING is the new run
        space = f"Space {watch.repo_id}"
        if name in watch.target_stages:
            if stage is SpaceStage.RUNNING and not self.left_running:
                return self._unseen_restart(runtime, now)  # the run from before the restart
            if stage is SpaceStage.RUNNING and watch.hardware and runtime.hardware != watch.hardware:
                return None  # requested switched at once; current follows once the rebuild is done
            on = f" on {runtime.hardware}" if runtime.hardware else ""
            return Verdict("success", f"{space} is {name}{on}")
        detail = f": {runtime.error_message}" if runtime.error_message else ""
        if stage.is_error:
            return Verdict("failed", f"{space} ended {name}{detail}")
        if "RUNNING" in watch.target_stages and stage in _STOPPED:
            return Verdict(
                "failed",
                f"{space} is {name} while waiting for it to run{detail}; it will not start by itself",
            )
        return None

    def _unseen_restart(self, runtime: SpaceRuntime, now: float) -> Verdict | None:
        end = self.unseen_restart_end
        if end is None or now < end:
            return None
        return Verdict(
            "startup_timeout",
            f"Space {self.watch.repo_id} was never seen leaving RUNNING in the "
            f"{UNSEEN_RESTART_SECONDS:g} s after the restart request, so its RUNNING cannot be told "
            "from the run before the restart (the Hub can report that one for a moment): the restart "
            "was quicker than the checks, or did not take. Check the Space, then restart it again",
        )

    def where(self, runtime: SpaceRuntime | None) -> str:
        """Where the Space is, in words: its stage and why that is not (yet) the target."""
        if runtime is None:
            return "its stage is unknown"
        stage, hardware = runtime.stage, runtime.hardware
        if stage is SpaceStage.SLEEPING:
            return "SLEEPING (asleep, not running: a visit or a restart wakes it)"
        if stage is SpaceStage.RUNNING and not self.left_running:
            return (
                "RUNNING (never seen leaving RUNNING since the restart: still taken for the run "
                "from before it)"
            )
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


@dataclass
class SpaceJudge:
    hook: HfHubHook
    watch: SpaceWatch
    log: logging.Logger | Any
    progress: Progress = field(init=False)

    def __post_init__(self) -> None:
        self.progress = Progress(self.watch, time.time())

    @property
    def what(self) -> str:
        return f"Space {self.watch.repo_id}"

    @property
    def check_at_start(self) -> bool:
        return True  # a Space's logs do not end with the wait: its stage decides

    def session(self, news: asyncio.Event) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()  # a Space is read directly: its watch is one of few

    async def read(self, prompt: bool) -> SpaceRuntime:
        runtime = await self.hook.aget_space_runtime(self.watch.repo_id)
        self.progress.describe(runtime, self.log)
        return runtime

    def verdict(self, runtime: SpaceRuntime, now: float) -> Verdict | None:
        verdict = self.progress.judge(runtime, now)
        if verdict is not None or self._startup_end is None or now < self._startup_end:
            return verdict
        watch = self.watch
        wanted = " or ".join(watch.target_stages) + (f" on {watch.hardware}" if watch.hardware else "")
        return Verdict(
            "startup_timeout",
            f"Space {watch.repo_id} was not {wanted} {watch.startup_timeout:g} s after the request "
            f"(startup_timeout); it is {self.progress.where(runtime)}",
        )

    @property
    def _startup_end(self) -> float | None:
        timeout = self.watch.startup_timeout
        return self.progress.started + timeout if timeout is not None else None

    def next_check(self, runtime: SpaceRuntime | None, now: float) -> float | None:
        due = [at for at in (self._startup_end, self.progress.unseen_restart_end) if at is not None]
        if not self.progress.left_running:
            due.append(now + CONFIRM_POLL_SECONDS)  # catch the restart's stages between two RUNNINGs
        return min(due, default=None)

    def where(self, runtime: SpaceRuntime | None) -> str:
        return f"it is {self.progress.where(runtime)}"

    async def follow_logs(self, forward: LogForwarder, wake: asyncio.Event) -> None:
        """The build log, then the run log; each end (and the first run line) is worth a stage check."""
        for build in (True, False):
            first = True
            async for line in self.hook.afetch_space_logs(self.watch.repo_id, build=build, follow=True):
                forward(line)
                if first and not build:
                    wake.set()  # the app is talking: it is starting, RUNNING is near
                first = False
            wake.set()

    async def conclude(
        self, verdict: Verdict, runtime: SpaceRuntime | None, tail: list[str]
    ) -> dict[str, Any]:
        summary = (
            space_summary(self.watch.repo_id, runtime, self.hook.space_url(self.watch.repo_id))
            if runtime
            else None
        )
        if verdict.status == "success":
            return event(verdict.status, verdict.message, space=summary)
        if verdict.status == "failed" and not tail and runtime is not None:
            tail = await self._log_tail(runtime.stage)
        return event(verdict.status, verdict.message, space=summary, log_tail=tail)

    async def _log_tail(self, stage: SpaceStage) -> list[str]:
        """The last lines of the log that explains a failure, when they were not streamed."""
        build = stage in _BUILD_FAILURES
        return await log_tail(self.hook.afetch_space_logs(self.watch.repo_id, build=build, follow=False))


async def watch_space(
    hook: HfHubHook, watch: SpaceWatch, log: logging.Logger | Any, forward: LogForwarder | None = None
) -> dict[str, Any]:
    """Follow the Space until a target stage, a failure stage or a timeout; return the event payload."""
    return await run_watch(hook, SpaceJudge(hook, watch, log), watch, log, forward)
