"""Multi-step Hub conversations as generators: pagination, creating paid work, following log streams.

A flow yields steps (send this call, open that stream, give me the next event, sleep, emit this
item) and the runner answers each with ``(result, now)``: the step's result and the runner's
monotonic clock right after it. Errors of a step are thrown into the flow. A flow never does I/O,
never reads a clock and never sleeps itself, so the sync and async transports run the same flows
and ``tests/hub/test_flows.py`` drives them with a scripted clock. No Airflow imports here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from airflow_provider_hfhub.hub.calls import Call
from airflow_provider_hfhub.hub.config import RetryPolicy, StreamPolicy
from airflow_provider_hfhub.hub.errors import HubError, HubStatusError, HubTransportError
from airflow_provider_hfhub.hub.models import JobInfo, LogLine
from airflow_provider_hfhub.hub.retry import backoff, is_retryable, may_have_processed, resend_is_safe
from airflow_provider_hfhub.hub.sse import (
    JOB_STARTED_PREFIX,
    ReplayCursor,
    ServerSentEvent,
    counts_as_event,
    event_payload,
    log_line,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Item = TypeVar("Item")


@dataclass(frozen=True)
class _CallStep(Generic[T]):
    call: Call[T]


class Send(_CallStep[T]):
    """Send a call (with the retry policy); the flow receives the parsed answer."""


@dataclass(frozen=True)
class CheckStage(Send[JobInfo]):
    """Read a Job's stage: ``call`` inspects it, unless the runner has a shared stage source.

    ``prompt`` False (a silent stream's backstop): the source's latest word will do, even none.
    ``at``: not before this moment of the runner's clock, unless a shared source hears sooner
    that the stage changed (it then answers at once).
    """

    prompt: bool = True
    at: float | None = None


# A shared source of Job stages (the triggerer's stage poller): called with ``prompt`` and ``at``,
# it answers the Job's latest state (None: nothing known yet).
AsyncStageSource = Callable[[bool, float | None], Awaitable[JobInfo | None]]
StageSource = Callable[[bool, float | None], JobInfo | None]


class SendOnce(_CallStep[T]):
    """Send a call once, without the retry policy: the flow decides what follows a failure."""


class Page(_CallStep[T]):
    """Send a call; the flow receives ``(parsed answer, URL of the next page or None)``."""


class Open(_CallStep[Any]):
    """Open an SSE stream; raises the Hub's error status into the flow."""


@dataclass(frozen=True)
class Next:
    """The next event of the open stream, :class:`Tick` after ``timeout`` s without one, or :class:`Ended`."""

    timeout: float


@dataclass(frozen=True)
class Tick:
    """No event arrived in time (the connection may still be open, sending keep-alives)."""


@dataclass(frozen=True)
class Ended:
    """The stream is over: closed by the Hub (``error`` None) or broken."""

    error: BaseException | None = None


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Now:
    """Ask the runner for the time (monotonic seconds); no I/O."""


@dataclass(frozen=True)
class Emit(Generic[Item]):
    """Hand one item to the consumer of the flow."""

    item: Item


Step = Send[Any] | SendOnce[Any] | Page[Any] | Open | Next | Sleep | Now | Emit[Any]
Flow = Generator[Step, Any, T]
# What the transports hand back for Next.
StreamItem = ServerSentEvent | Tick | Ended


@dataclass
class _Clocked:
    """Performs steps through the runner and keeps the time it reported with the last answer."""

    now: float = 0.0

    def do(self, step: Step) -> Generator[Step, Any, Any]:
        result, self.now = yield step
        return result


def paginate(call: Call[list[T]]) -> Flow[list[T]]:
    """All pages of a list, following the ``Link: <...>; rel="next"`` headers."""
    items: list[T] = []
    next_call: Call[list[T]] | None = call
    while next_call is not None:
        (page, next_url), _ = yield Page(next_call)
        items.extend(page)
        next_call = (
            Call(call.method, next_url, call.parse, namespace=call.namespace or "-") if next_url else None
        )
    return items


def create(call: Call[T], policy: RetryPolicy) -> Flow[T]:
    """Send a request that creates paid work, never again while the Hub may have processed it.

    A request the Hub surely did not process (never sent, or refused with 429) is sent again after
    the policy's back-off. After a failure that may hide created work (any 5xx, a reset or timeout
    once sent, an unreadable 2xx) it is looked up with ``call.find``, after the back-off, and the
    request is sent again only when the Hub has none; without ``find`` the error is raised. Every
    attempt and wait counts against the one ``policy``; the last failed attempt is looked up too.
    """
    clock = _Clocked()
    yield from clock.do(Now())
    started, attempt = clock.now, 0
    while True:
        attempt += 1
        try:
            return (yield from clock.do(SendOnce(call)))
        except HubError as exc:
            error = exc
        unsure = call.find is not None and may_have_processed(error)
        if not (unsure or resend_is_safe(error)):
            raise error
        yield from clock.do(Now())  # a failed step reports no time, and it may have taken long
        remaining = policy.max_total_wait - (clock.now - started)
        last = attempt >= policy.max_attempts or remaining <= 0
        if last and not unsure:
            raise error
        wait = max(0.0, min(backoff(policy, attempt, error), remaining))
        then = "looking for what it made" if unsure else "sending it again"
        log.warning("Hub create failed (attempt %d); %s in %.1f s: %s", attempt, then, wait, error)
        yield from clock.do(Sleep(wait))
        if unsure and call.find is not None:
            # Looked up after the back-off, right before a resend: work made moments ago has had
            # that long to show in the list.
            found = yield from paginate(call.find)
            if found:
                made = _newest(found)
                log.warning("The Hub made it despite the error: taking %s", getattr(made, "id", made))
                return made
            if last:
                raise error


def _newest(found: list[Any]) -> Any:
    def created(item: Any) -> float:
        when = getattr(item, "created_at", None)
        return when.timestamp() if when is not None else 0.0

    return max(found, key=created)


@dataclass
class _LogStream(_Clocked):
    """One log stream across its connections: the replay cursor and the run of failed connections."""

    policy: StreamPolicy = field(default_factory=StreamPolicy)
    cursor: ReplayCursor = field(default_factory=ReplayCursor)
    failures: int = 0

    def open(self, call: Call[Any], *, after_tail: bool = False) -> Generator[Step, Any, None]:
        """Open a connection, backing off and retrying while the failure is worth retrying."""
        while True:
            try:
                yield from self.do(Open(call))
            except HubError as exc:
                if not is_retryable(exc) or self.failures >= self.policy.max_reconnects:
                    raise
                log.warning("Could not open the Hub log stream (%s); retrying", exc)
                yield from self.back_off()
                continue
            self.cursor.new_connection(after_tail=after_tail)
            return

    def broke(self, error: BaseException) -> Generator[Step, Any, None]:
        """A connection broke: wait before the next one, or give up after too many in a row."""
        if self.failures >= self.policy.max_reconnects:
            raise HubTransportError(
                f"The Hub log stream broke {self.failures + 1} times in a row; last error: {error}"
            ) from error
        log.info("Hub log stream interrupted (%s); reconnecting", error)
        yield from self.back_off()

    def back_off(self) -> Generator[Step, Any, None]:
        self.failures += 1
        yield from self.do(Sleep(self.policy.wait_before_reconnect(self.failures)))

    def accept(self, event: ServerSentEvent) -> LogLine | None:
        """The event's line if it was not delivered before; None for anything else.

        Any event, a keep-alive included, proves the connection healthy and ends a run of failures:
        otherwise a quiet Job whose stream drops now and then would stop streaming for good.
        """
        self.failures = 0
        if not counts_as_event(event):
            return None
        payload = event_payload(event)
        line = log_line(payload) if payload is not None else None
        return line if self.cursor.accept(line) and line is not None else None

    def read_until_quiet(self, quiet: float) -> Generator[Step, Any, Ended | None]:
        """Emit new lines until ``quiet`` seconds pass without an event (None) or the stream ends."""
        while True:
            item: StreamItem = yield from self.do(Next(quiet))
            if isinstance(item, Ended):
                return item
            if isinstance(item, Tick):
                return None
            yield from self.emit(self.accept(item))

    def emit(self, line: LogLine | None) -> Generator[Step, Any, None]:
        if line is not None and not line.text.startswith(JOB_STARTED_PREFIX):
            yield from self.do(Emit(line))


@dataclass
class _JobLogFollower(_LogStream):
    """Follows a Job's log until the Job's stage says it is over (see :func:`job_logs`)."""

    inspect: Call[JobInfo] | None = None
    last_check: float = 0.0
    job_over: bool = False

    def check_stage(self, prompt: bool = True, at: float | None = None) -> Generator[Step, Any, bool]:
        assert self.inspect is not None
        job: JobInfo | None = yield from self.do(CheckStage(self.inspect, prompt, at))
        self.last_check = self.now
        self.job_over = job is not None and job.stage.is_terminal
        return self.job_over

    def read(self) -> Generator[Step, Any, Ended | None]:
        """Emit one connection's new lines; None once the Job is over and the stream drained."""
        while not self.job_over:
            wait = self.last_check + self.policy.backstop_interval - self.now
            item: StreamItem = yield from self.do(Next(max(0.0, wait)))
            if isinstance(item, Ended):
                return item
            if isinstance(item, Tick):
                yield from self.check_stage(prompt=False)  # a silent stream: the backstop
                continue
            line = self.accept(item)
            if line is not None:
                self.last_check = self.now  # the backstop is for silent streams only
            yield from self.emit(line)
        return (yield from self.read_until_quiet(self.policy.idle_timeout))

    def confirm_end(self) -> Generator[Step, Any, bool]:
        """The stream closed: check the stage on the policy's schedule (it lags the last line).

        A check due at once takes a shared source's latest word without asking the Hub: the stage
        lags the stream's end (docs/hub-api.md#log-streams), so a fresh answer then is nearly
        always "still running" and an isolated end would cost one inspect more.
        """
        closed_at = self.now
        for offset in self.policy.stage_checks_after_end:
            if (yield from self.check_stage(prompt=offset > 0, at=closed_at + offset)):
                return True
        return False


def job_logs(logs: Call[Any], inspect: Call[JobInfo], *, follow: bool, policy: StreamPolicy) -> Flow[None]:
    """A Job's log lines, each once, in order.

    Following, the end is decided by the Job's stage, not by the stream: when the stream closes
    the stage is checked on ``policy.stage_checks_after_end``; while the stream is open but silent,
    a backstop check every ``policy.backstop_interval`` s catches a Job that ended behind an endless
    keep-alive stream (what the stream still holds is drained first). A broken stream is reopened
    and its replayed prefix skipped.
    """
    follower = _JobLogFollower(policy=policy, inspect=inspect)
    if not follow:
        yield from follower.open(logs)
        yield from follower.read_until_quiet(policy.idle_timeout)
        return None
    yield from follower.do(Now())
    follower.last_check = follower.now
    call = logs
    while True:
        # ?tail only on the first connection, as the official client does; later ones replay all.
        yield from follower.open(call, after_tail=call is not logs and bool(logs.params))
        call = logs.with_params(())
        # A fresh connection first replays the history: give it time before the backstop fires.
        follower.last_check = max(follower.last_check, follower.now - policy.backstop_interval / 2)
        ended = yield from follower.read()
        if ended is None or (ended.error is None and follower.job_over):
            return None
        if ended.error is not None:
            yield from follower.broke(ended.error)
        elif (yield from follower.confirm_end()):
            return None


def space_logs(logs: Call[Any], *, follow: bool, policy: StreamPolicy) -> Flow[None]:
    """A Space's build or run log lines, each once; following ends when the Hub closes the stream."""
    stream = _LogStream(policy=policy)
    quiet = policy.read_timeout if follow else policy.idle_timeout
    while True:
        yield from stream.open(logs)
        ended = None
        while ended is None:  # following, silence is no end: a building Space may say nothing for long
            ended = yield from stream.read_until_quiet(quiet)
            if not follow:
                return None
        if ended.error is None:
            return None
        yield from stream.broke(ended.error)


def job_metrics(
    metrics: Call[Any], inspect: Call[JobInfo], *, follow: bool, policy: StreamPolicy
) -> Flow[None]:
    """A Job's metric samples (dicts); the Hub answers 406 (earlier 500) once the Job is over."""
    follower = _JobLogFollower(policy=policy, inspect=inspect)
    while True:
        try:
            yield from follower.open(metrics)
        except HubStatusError as exc:
            if exc.status_code in (406, 500):
                return None
            raise
        ended = yield from _read_metrics(follower, follow)
        if not follow or (yield from follower.check_stage()):
            return None
        if ended is not None and ended.error is not None:
            yield from follower.back_off()


def _read_metrics(stream: _LogStream, follow: bool) -> Generator[Step, Any, Ended | None]:
    """Emit samples until the stream goes quiet (None) or ends; one sample without ``follow``."""
    quiet = stream.policy.backstop_interval if follow else stream.policy.idle_timeout
    while True:
        item: StreamItem = yield from stream.do(Next(quiet))
        if isinstance(item, Tick):
            return None
        if isinstance(item, Ended):
            return item
        payload = event_payload(item)
        if payload is not None:
            stream.failures = 0
            yield from stream.do(Emit(payload))
            if not follow:
                return None
