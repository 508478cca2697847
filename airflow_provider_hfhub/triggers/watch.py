"""The one watch loop behind every Job and Space wait, on the triggerer and in the worker alike.

It streams the resource's logs into the task log, reads the resource's state when due, asks a
small per-resource :class:`Judge` what that state means, and turns the outcome into a trigger
event. ``HfJobTrigger`` / ``HfSpaceTrigger`` await it on the triggerer; the operators' sync path
runs it with ``asyncio.run``, so results and errors are the same on both. Pure async.

The drain rule (one for all): once the outcome is known, the log stream is read on until its flow
ends or it has handed over nothing for ``DRAIN_QUIET_SECONDS`` (a running Space's run log, or a
Job stream that stays open after the end, never ends by itself). Normally a Job's outcome comes
from its log flow, which has already read the stream to its end, reconnects included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from airflow_provider_hfhub.hub.config import StreamPolicy
from airflow_provider_hfhub.hub.errors import HubError
from airflow_provider_hfhub.hub.models import LogLine
from airflow_provider_hfhub.hub.retry import is_retryable
from airflow_provider_hfhub.triggers.events import LOG_TAIL_LINES
from airflow_provider_hfhub.triggers.log_stream import LogForwarder, is_frame

if TYPE_CHECKING:
    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

State = TypeVar("State")

DRAIN_QUIET_SECONDS = 2.0


@dataclass(frozen=True)
class Verdict:
    """The wait is over: an event status from ``events.STATUSES`` and the message for the task log."""

    status: str
    message: str


class Judge(Protocol[State]):
    """What one kind of resource means: how to read it, follow its logs and judge its state."""

    @property
    def what(self) -> str:
        """``Job 6842...`` / ``Space user/app``, for messages."""

    @property
    def check_at_start(self) -> bool:
        """False: the log stream will say when to look (stream-driven completion)."""

    async def read(self, prompt: bool) -> State | None:
        """The current state; ``prompt`` False: a recent word will do (None: nothing known yet)."""

    def session(self, news: asyncio.Event) -> contextlib.AbstractAsyncContextManager[Any]:
        """Hold what reading needs for the whole wait; set ``news`` when the state changed by itself."""

    def verdict(self, state: State, now: float) -> Verdict | None:
        """The outcome, or None to keep waiting; may be a resource's own timeout."""

    def next_check(self, state: State | None, now: float) -> float | None:
        """Epoch seconds by which the state must be read again (None: the poll interval)."""

    def where(self, state: State | None) -> str:
        """Where the resource is, in words, for a timeout message."""

    async def follow_logs(self, forward: LogForwarder, wake: asyncio.Event) -> None:
        """Forward the logs; set ``wake`` when something is worth a prompt check."""

    async def conclude(self, verdict: Verdict, state: State | None, tail: list[str]) -> dict[str, Any]:
        """The event for a verdict (fetching the log tail a failure needs when none was streamed)."""


class Settings(Protocol):
    """What every resource's watch settings say about the loop (``JobWatch``, ``SpaceWatch``)."""

    @property
    def stream_logs(self) -> bool: ...

    @property
    def poll_interval(self) -> float: ...

    @property
    def execution_deadline(self) -> float | None: ...


class Nudge(asyncio.Event):
    """An ``asyncio.Event`` that also wakes its watch's wait, which so needs no task per event.

    A triggerer runs a thousand watches in one loop: two waiter tasks per wait were a third of the
    tasks there, each one more object for every garbage collection to walk (README "Performance").
    """

    def __init__(self, on_set: Callable[[], None]) -> None:
        super().__init__()
        self._on_set = on_set

    def set(self) -> None:
        super().set()
        self._on_set()


@dataclass
class Watch(Generic[State]):
    """One run of the loop; ``deadline`` is the task's execution deadline (epoch seconds)."""

    judge: Judge[State]
    forward: LogForwarder
    stream_logs: bool
    poll_interval: float
    policy: StreamPolicy
    deadline: float | None
    log: logging.Logger | Any
    state: State | None = None
    prompt_checks: list[float] = field(default_factory=list)
    _stirred: asyncio.Future[None] | None = None  # the wait a nudge ends

    def __post_init__(self) -> None:
        self.wake = Nudge(self._stir)  # the logs: a stream ended or the app spoke
        self.news = Nudge(self._stir)  # the judge: the state changed by itself

    def _stir(self) -> None:
        if self._stirred is not None and not self._stirred.done():
            self._stirred.set_result(None)

    async def run(self) -> dict[str, Any]:
        async with self.judge.session(self.news):
            logs = asyncio.ensure_future(self._follow_logs()) if self.stream_logs else None
            try:
                return await self._loop(logs)
            finally:
                await stop(logs)

    async def _loop(self, logs: asyncio.Future[None] | None) -> dict[str, Any]:
        due = self.judge.check_at_start or logs is None
        prompt = True
        while True:
            if due:
                outcome = await self._check(logs, prompt)
                if outcome is not None:
                    return outcome
            now = time.time()
            if self.deadline is not None and now >= self.deadline:
                where = self.judge.where(self.state)
                verdict = Verdict(
                    "timeout", f"{self.judge.what} outlived the task's execution_timeout; {where}"
                )
                return await self._conclude(verdict)
            at, prompt = self._next_check(now)
            prompt = await self._wait(logs, at - now) or prompt
            due = True

    async def _check(self, logs: asyncio.Future[None] | None, prompt: bool) -> dict[str, Any] | None:
        """Read the state once; the event if that ends the wait."""
        try:
            state = await self.judge.read(prompt)
            if state is None:
                return None
            self.state = state
        except HubError as exc:
            if not is_retryable(exc):
                return await self._conclude(Verdict("error", f"Could not follow {self.judge.what}: {exc}"))
            self.log.warning("The Hub did not answer about %s (%s); trying again", self.judge.what, exc)
            return None
        found = self.judge.verdict(self.state, time.time())
        if found is None:
            return None
        verdict = found
        if logs is not None:
            await drain(logs, self.forward)
        return await self._conclude(verdict)

    async def _conclude(self, verdict: Verdict) -> dict[str, Any]:
        """The judge's event, with every log line in it redacted as the task log is."""
        payload = await self.judge.conclude(verdict, self.state, list(self.forward.tail))
        if payload.get("log_tail"):
            payload["log_tail"] = [self.forward.redact(line) for line in payload["log_tail"]]
        return payload

    def _next_check(self, now: float) -> tuple[float, bool]:
        """When to read the state next, and whether that read needs a fresh answer from the Hub.

        Only the poll interval's routine read makes do with the latest word (a shared poller's).
        """
        self.prompt_checks = [at for at in self.prompt_checks if at > now]
        routine = now + self.poll_interval
        own = self.judge.next_check(self.state, now)
        due = min(
            [*self.prompt_checks[:1], *(at for at in (own, self.deadline) if at is not None)], default=routine
        )
        return (due, True) if due < routine else (routine, False)

    async def _wait(self, logs: asyncio.Future[None] | None, seconds: float) -> bool:
        """Wait until a check is due or something worth one happens; True if something did.

        A stream that ended or an app that spoke asks for prompt checks on the policy's schedule;
        news from the judge (its state changed) for one check now.
        """
        if not (self.wake.is_set() or self.news.is_set()):
            self._stirred = stirred = asyncio.get_running_loop().create_future()
            watched: set[asyncio.Future[Any]] = {stirred}
            if logs is not None and not logs.done():
                watched.add(logs)
            try:
                await asyncio.wait(watched, timeout=max(seconds, 0.0))
            finally:
                stirred.cancel()
                self._stirred = None
        news = self.news.is_set()
        self.news.clear()
        if self.wake.is_set():  # a stream ended or the app spoke: check now, then on the schedule
            self.wake.clear()
            now = time.time()
            self.prompt_checks = [now + offset for offset in self.policy.stage_checks_after_end[1:]]
            return True
        return news

    async def _follow_logs(self) -> None:
        try:
            await self.judge.follow_logs(self.forward, self.wake)
        except HubError as exc:
            self.log.warning(
                "Stopped streaming the log of %s (%s); still following its stage", self.judge.what, exc
            )
        except Exception:  # said here: stop() retrieves the failure without a word
            self.log.exception("Stopped streaming the log of %s; still following its stage", self.judge.what)
        finally:
            self.wake.set()


async def run_watch(
    hook: HfHubHook,
    judge: Judge[State],
    settings: Settings,
    log: logging.Logger | Any,
    forward: LogForwarder | None = None,
) -> dict[str, Any]:
    """Run the loop for one resource with the hook's stream policy; return the event payload."""
    await hook.aget_conn()  # look the connection up once, before two tasks need it
    return await Watch(
        judge=judge,
        forward=forward or LogForwarder(log),
        stream_logs=settings.stream_logs,
        poll_interval=settings.poll_interval,
        policy=hook.stream,
        deadline=settings.execution_deadline,
        log=log,
    ).run()


async def log_tail(lines: AsyncIterable[LogLine]) -> list[str]:
    """The last lines' text, for a failure's message when none were streamed; a Hub error ends the read."""
    tail: list[str] = []
    with contextlib.suppress(HubError):
        async for line in lines:
            if not is_frame(line.text):
                tail.append(line.text)
    return tail[-LOG_TAIL_LINES:]


async def drain(logs: asyncio.Future[None], forward: LogForwarder) -> None:
    """Read on after the outcome, by the module's drain rule."""
    while not logs.done():
        before = forward.count
        await asyncio.wait({logs}, timeout=DRAIN_QUIET_SECONDS)
        if forward.count == before:
            return


async def stop(task: asyncio.Future[Any] | None) -> None:
    """Cancel a child task and wait for it, without absorbing a cancellation aimed at the caller."""
    if task is None:
        return
    task.cancel()
    await asyncio.wait({task})  # raises CancelledError only when the caller itself is cancelled
    if not task.cancelled():
        task.exception()  # retrieved: a failure here was reported where it happened
