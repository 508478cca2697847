"""Multi-step Hub conversations as generators: pagination and following log streams.

A flow yields steps (send this call, open that stream, give me the next event, sleep, emit this
item) and receives ``(result, now)`` for each, ``now`` being the runner's monotonic clock read
right after the step; it never does I/O itself. The sync and async clients each run
the same flows with their own transport, so both behave identically. No Airflow imports here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from httpx_sse import ServerSentEvent

from airflow_provider_hfhub.hub.calls import Call
from airflow_provider_hfhub.hub.config import StreamPolicy
from airflow_provider_hfhub.hub.errors import HubError, HubStatusError, HubTransportError
from airflow_provider_hfhub.hub.models import JobInfo
from airflow_provider_hfhub.hub.retry import is_retryable
from airflow_provider_hfhub.hub.sse import (
    JOB_STARTED_PREFIX,
    ReplayCursor,
    counts_as_event,
    event_payload,
    log_line,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Item = TypeVar("Item")


@dataclass(frozen=True)
class Send(Generic[T]):
    """Send a call (with the retry policy); the flow receives the parsed answer."""

    call: Call[T]


@dataclass(frozen=True)
class Page(Generic[T]):
    """Send a call; the flow receives ``(parsed answer, URL of the next page or None)``."""

    call: Call[T]


@dataclass(frozen=True)
class Open:
    """Open an SSE stream; raises the Hub's error status into the flow."""

    call: Call[Any]


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


Step = Send[Any] | Page[Any] | Open | Next | Sleep | Now | Emit[Any]
Flow = Generator[Step, Any, T]
# What the transports hand back for Next.
StreamItem = ServerSentEvent | Tick | Ended


def paginate(call: Call[list[T]]) -> Flow[list[T]]:
    """All pages of a list, following the ``Link: <...>; rel="next"`` headers."""
    items: list[T] = []
    next_call: Call[list[T]] | None = call
    while next_call is not None:
        (page, next_url), _now = yield Page(next_call)
        items.extend(page)
        next_call = (
            Call(call.method, next_url, call.parse, namespace=call.namespace or "-") if next_url else None
        )
    return items


def _reconnect_wait(failures: int) -> float:
    return float(min(10, 2 ** (failures - 1)))


def _open(call: Call[Any], failures: int, policy: StreamPolicy) -> Generator[Step, Any, bool]:
    """Open a stream; False (after a back-off) when it failed in a way worth retrying."""
    try:
        yield Open(call)
    except HubError as exc:
        if not is_retryable(exc, creates=False) or failures >= policy.max_reconnects:
            raise
        log.warning("Could not open the Hub log stream (%s); retrying", exc)
        yield Sleep(_reconnect_wait(failures + 1))
        return False
    return True


def _stage_is_terminal(inspect: Call[JobInfo]) -> Generator[Step, Any, bool]:
    job: JobInfo
    job, _now = yield Send(inspect)
    return job.stage.is_terminal


def job_logs(logs: Call[Any], inspect: Call[JobInfo], *, follow: bool, policy: StreamPolicy) -> Flow[None]:
    """A Job's log lines, each once, in order.

    Following, the end is decided by the Job's stage, not by the stream: when the stream closes
    the stage is checked at once and then with short back-off (it lags the last line); while the
    stream is open but silent, a backstop check every ``backstop_interval`` s catches a Job that
    ended behind an endless keep-alive stream (what the stream still holds is drained first).
    A broken stream is reopened and its replayed prefix skipped.
    """
    cursor = ReplayCursor()
    call, tailed = logs, bool(logs.params)
    failures = 0
    last_check = time.monotonic()
    job_over = False  # the backstop saw a terminal stage: drain the open stream, then stop
    while True:
        if not (yield from _open(call, failures, policy)):
            failures += 1
            continue
        cursor.new_connection(after_tail=tailed and call is not logs)
        # A fresh connection first replays the history: give it time before the backstop fires.
        last_check = max(last_check, time.monotonic() - policy.backstop_interval / 2)
        ended: Ended | None = None
        while ended is None:
            if follow and not job_over:
                wait = policy.backstop_interval - (time.monotonic() - last_check)
            else:
                wait = policy.idle_timeout
            item: StreamItem
            item, _now = yield Next(max(0.0, wait))
            if isinstance(item, Ended):
                ended = item
            elif isinstance(item, Tick):
                if not follow or job_over:
                    return None  # drained: nothing more came after the Job ended
                last_check = time.monotonic()
                job_over = yield from _stage_is_terminal(inspect)
            elif counts_as_event(item):
                payload = event_payload(item)
                line = log_line(payload) if payload is not None else None
                if cursor.accept(line) and line is not None and not line.text.startswith(JOB_STARTED_PREFIX):
                    failures = 0
                    last_check = time.monotonic()  # the backstop is for silent streams only
                    yield Emit(line)
        if not follow:
            return None
        call = logs.with_params(())  # ?tail only on the first connection, as the official client does
        if ended.error is not None:
            failures += 1
            if failures > policy.max_reconnects:
                raise HubTransportError(
                    f"The Hub log stream broke {failures} times in a row; last error: {ended.error}"
                ) from ended.error
            log.info("Hub log stream interrupted (%s); reconnecting", ended.error)
            yield Sleep(_reconnect_wait(failures))
            continue
        if job_over:
            return None
        for delay in policy.stage_check_delays:  # the stage lags the stream's end by a moment
            if delay:
                yield Sleep(delay)
            last_check = time.monotonic()
            if (yield from _stage_is_terminal(inspect)):
                return None


def space_logs(logs: Call[Any], *, follow: bool, policy: StreamPolicy) -> Flow[None]:
    """A Space's build or run log lines, each once; following ends when the Hub closes the stream."""
    cursor = ReplayCursor()
    failures = 0
    while True:
        if not (yield from _open(logs, failures, policy)):
            failures += 1
            continue
        cursor.new_connection()
        while True:
            item: StreamItem
            item, _now = yield Next(policy.read_timeout if follow else policy.idle_timeout)
            if isinstance(item, Tick):
                if not follow:
                    return None
                continue
            if isinstance(item, Ended):
                break
            if counts_as_event(item):
                payload = event_payload(item)
                line = log_line(payload) if payload is not None else None
                if cursor.accept(line) and line is not None:
                    failures = 0
                    yield Emit(line)
        if item.error is None or not follow:
            return None
        failures += 1
        if failures > policy.max_reconnects:
            raise HubTransportError(f"The Hub log stream broke {failures} times in a row: {item.error}")
        yield Sleep(_reconnect_wait(failures))


def job_metrics(
    metrics: Call[Any], inspect: Call[JobInfo], *, follow: bool, policy: StreamPolicy
) -> Flow[None]:
    """A Job's metric samples (dicts); the Hub answers 406 once the Job is over."""
    failures = 0
    while True:
        try:
            if not (yield from _open(metrics, failures, policy)):
                failures += 1
                continue
        except HubStatusError as exc:
            if exc.status_code in (406, 500):  # the Hub's way of saying the Job already finished
                return None
            raise
        while True:
            item: StreamItem
            item, _now = yield Next(policy.backstop_interval if follow else policy.idle_timeout)
            if isinstance(item, (Tick, Ended)):
                break
            payload = event_payload(item)
            if payload is not None:
                failures = 0
                yield Emit(payload)
                if not follow:
                    return None
        if not follow or (yield from _stage_is_terminal(inspect)):
            return None
        if isinstance(item, Ended) and item.error is not None:
            failures += 1
            yield Sleep(_reconnect_wait(failures))
