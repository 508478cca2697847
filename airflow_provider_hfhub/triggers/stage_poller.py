"""One Job stage poller per event loop, connection and namespace, shared by every Job watch in it.

A triggerer follows up to 1,000 Jobs in one event loop; asking the Hub about each one separately
costs more than the Hub's API budget (1,000 requests per 5 minutes on the Free tier,
https://huggingface.co/docs/hub/rate-limits). Here every watch subscribes its Job, and one round
answers them all: one ``GET /api/jobs/{namespace}?stage=SCHEDULING&stage=RUNNING`` (every page; the
Hub filters server-side, docs/hub-api.md#jobs), and one ``inspect`` for each followed Job missing
from that list (it has ended; its outcome is then final and never asked again). With a single Job
to follow, where listing is refused, or when fewer Jobs want an answer than a listing has pages (a
Job whose log just ended, alone), those Jobs are inspected instead. Each Job's readers go on as soon
as its own word is in, not when the whole round is.

Rounds run slowly (the subscribers' shortest poll interval) while nobody waits, and promptly (after
a short gathering pause, at most every ``MIN_ROUND_GAP`` s) while someone asks for a fresh answer,
as a watch does when its Job's log stream ends. The ``RateLimit`` headers of every answer (the
client's :class:`~airflow_provider_hfhub.hub.ratelimit.RateBudget`) slow the rounds when the budget
runs low, and a 429 pauses them once for the whole loop. The poller lives while it has
subscribers; a watch that leaves unsubscribes, and cancelling a waiting watch never cancels a round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from airflow_provider_hfhub.hub.async_client import AsyncHubClient
from airflow_provider_hfhub.hub.errors import HubError, HubStatusError, HubTransportError
from airflow_provider_hfhub.hub.models import JobInfo
from airflow_provider_hfhub.hub.retry import is_retryable

log = logging.getLogger(__name__)

ACTIVE_STAGES = ("SCHEDULING", "RUNNING")
# A prompt round waits this long for others asking at about the same moment (1,000 log streams
# ending within a second share a handful of rounds)...
GATHER_SECONDS = 0.05
# ...and rounds are at least this far apart: the Hub's stage lags a Job's last log line by about
# 1.3 s (docs/hub-api.md#log-streams), so asking more often finds nothing new.
MIN_ROUND_GAP = 0.5
# With little budget left, prompt rounds come no more often than this.
LOW_BUDGET_ROUND_GAP = 5.0
# Jobs per page of a listing, to weigh a listing against inspecting the Jobs that want an answer
# (the fake Hub's page; the Hub documents none, docs/hub-api.md#pagination).
LISTING_PAGE_GUESS = 50

Reader = Callable[[bool, float | None], Awaitable[JobInfo | None]]


@dataclass(eq=False)
class Subscription:
    """One watch's view of its Job, kept up to date by the poller's rounds."""

    poller: StagePoller
    job_id: str
    interval: float
    on_change: Callable[[], None] | None = None
    latest: JobInfo | None = None
    error: HubError | None = None
    version: int = 0  # bumped when the Job's stage changes
    _fresh: asyncio.Future[None] | None = None  # a reader waits for a round started after...
    _fresh_since: float = 0.0  # ...this moment
    _changed: asyncio.Future[None] | None = None  # a reader waits for the stage to change

    @property
    def over(self) -> bool:
        return self.latest is not None and self.latest.stage.is_terminal

    def deliver(self, state: JobInfo | HubError, round_started: float) -> None:
        """A round's word on the Job; a reader waiting for a fresh one goes on at once."""
        if isinstance(state, HubError):
            self.error = state
        else:
            changed = self.latest is None or str(self.latest.stage) != str(state.stage)
            self.latest, self.error = state, None
            if changed:  # news: a reader waiting for it, or for a fresh round, goes on now
                self.version += 1
                for waiter in (self._changed, self._fresh):
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
                if self.on_change is not None:
                    self.on_change()
        self.settle(round_started)

    def settle(self, round_started: float) -> None:
        """A round that started at ``round_started`` is over for this Job: its waiting reader goes on."""
        if self._fresh is not None and not self._fresh.done() and round_started >= self._fresh_since:
            self._fresh.set_result(None)

    async def fresh(self) -> None:
        """Wait for the word of a round that starts after this call (cancelling leaves it be)."""
        if self._fresh is None or self._fresh.done():
            self._fresh = asyncio.get_running_loop().create_future()
            self._fresh_since = time.monotonic()
        self.poller.want(self.job_id)
        await asyncio.shield(self._fresh)

    async def change_or(self, at: float) -> None:
        """Wait until ``at`` (monotonic seconds), or less if the Job's stage changes meanwhile."""
        if (seconds := at - time.monotonic()) > 0:
            if self._changed is None or self._changed.done():
                self._changed = asyncio.get_running_loop().create_future()
            await asyncio.wait({self._changed}, timeout=seconds)  # cancelling the wait leaves it be

    def reader(self) -> Reader:
        """A stage source for one reader: news it has not seen comes at once, else a fresh round.

        Called with ``prompt`` False it answers the latest word at once (None before the first);
        with ``at``, it waits until then for a round, unless the stage changes before: a Job whose
        log just ended learns its outcome from the first round that finds it, not at its next
        scheduled check (which, for a watch that already knows, would hold the event back).
        """
        seen = 0

        async def stage(prompt: bool, at: float | None = None) -> JobInfo | None:
            nonlocal seen
            if at is not None and not self.over and self.version == seen:
                await self.change_or(at)
            if prompt and not self.over and self.version == seen:
                await self.fresh()
            seen = self.version
            if self.error is not None and not self.over:
                raise self.error
            return self.latest

        return stage


@dataclass(eq=False)
class StagePoller:
    client: AsyncHubClient
    namespace: str
    subscriptions: dict[str, list[Subscription]] = field(default_factory=dict)
    listing: bool = True
    rounds: int = 0
    _task: asyncio.Task[None] | None = None
    _poke: asyncio.Event = field(default_factory=asyncio.Event)
    _wanted: set[str] = field(default_factory=set)  # Jobs whose readers wait for a fresh round
    _wanted_since: float = 0.0
    _last_start: float = float("-inf")
    _last_end: float = field(default_factory=time.monotonic)
    _requests_per_round: int = 1
    _throttles_seen: int = 0
    _said_low: bool = False

    @contextlib.asynccontextmanager
    async def subscribe(
        self, job_id: str, interval: float, on_change: Callable[[], None] | None = None
    ) -> AsyncIterator[Subscription]:
        """Follow a Job for the duration of the block; ``on_change`` is called when its stage changes."""
        subscription = Subscription(self, job_id, interval, on_change)
        self.subscriptions.setdefault(job_id, []).append(subscription)
        self._start()
        try:
            yield subscription
        finally:
            self._leave(subscription)

    def want(self, job_id: str) -> None:
        """A reader of this Job waits for a fresh answer: run a prompt round."""
        if not self._wanted:
            self._wanted_since = time.monotonic()
        self._wanted.add(job_id)
        self._poke.set()
        self._start()

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"hfhub stages {self.namespace}"
            )

    def _leave(self, subscription: Subscription) -> None:
        same = self.subscriptions.get(subscription.job_id, [])
        if subscription in same:
            same.remove(subscription)
        if not same:
            self.subscriptions.pop(subscription.job_id, None)
        if not self.subscriptions:
            _forget(self)
            if self._task is not None:
                self._task.cancel()  # nobody waits on it: every waiter was a subscriber

    async def _run(self) -> None:
        try:
            while self.subscriptions:
                await self._until_due()
                if self.subscriptions:
                    await self._round()
        finally:
            stopped = HubTransportError("the shared stage poller stopped")
            for subscription in self._all():
                if subscription._fresh is not None and not subscription._fresh.done():
                    subscription._fresh.set_exception(stopped)

    def _all(self) -> list[Subscription]:
        return [subscription for subs in self.subscriptions.values() for subscription in subs]

    def _due(self, now: float) -> float:
        budget = self.client.rate_budget
        low = budget.low(now)
        slow = min((sub.interval for sub in self._all()), default=60.0)
        if low:
            slow = max(slow, budget.spread(now, self._requests_per_round))
        due = self._last_end + slow
        if self._wanted:
            gap = LOW_BUDGET_ROUND_GAP if low else MIN_ROUND_GAP
            due = min(due, max(self._wanted_since + GATHER_SECONDS, self._last_start + gap))
        return max(due, budget.throttled_until)

    async def _until_due(self) -> None:
        while (wait := self._due(time.monotonic()) - time.monotonic()) > 0:
            self._poke.clear()
            poked = asyncio.ensure_future(self._poke.wait())
            try:
                await asyncio.wait({poked}, timeout=wait)
            finally:
                poked.cancel()

    async def _round(self) -> None:
        """Ask the Hub about the followed Jobs; each Job's readers go on as soon as its word is in."""
        wanted, self._wanted = self._wanted, set()
        started = self._last_start = time.monotonic()
        self.rounds += 1
        jobs = [job_id for job_id, subs in self.subscriptions.items() if not subs[0].over]
        try:
            await self._read(jobs, wanted & set(jobs), started)
        except HubError as exc:
            log.warning("The Hub did not answer the stage check for %d Job(s): %s", len(jobs), exc)
            for job_id in jobs:
                self._deliver(job_id, exc, started)
        finally:
            self._last_end = time.monotonic()
            for subscription in self._all():  # answered or not, no reader waits past its round
                subscription.settle(started)
        self._say_budget()

    async def _read(self, jobs: list[str], wanted: set[str], started: float) -> None:
        """One listing and an inspect of each Job missing from it; or, when only a few Jobs want an
        answer (fewer than a listing's pages), or listing is not possible, inspects alone."""
        pages = 1 + len(jobs) // LISTING_PAGE_GUESS
        active = None
        if self.listing and len(jobs) > 1 and not (wanted and len(wanted) < pages):
            active = await self._list()
        if active is not None:
            for job_id in jobs:
                if job_id in active:  # delivered before any inspect: their readers need not wait
                    self._deliver(job_id, active[job_id], started)
            missing = [job_id for job_id in jobs if job_id not in active]
        else:
            missing = sorted(wanted) if wanted else jobs
        self._requests_per_round = len(missing) + (pages if active is not None else 0)
        await asyncio.gather(*(self._inspect(job_id, started) for job_id in missing))

    def _deliver(self, job_id: str, state: JobInfo | HubError, started: float) -> None:
        for subscription in self.subscriptions.get(job_id, []):
            subscription.deliver(state, started)

    async def _list(self) -> dict[str, JobInfo] | None:
        try:
            jobs = await self.client.list_jobs(status=ACTIVE_STAGES, namespace=self.namespace)
        except HubStatusError as exc:
            if is_retryable(exc):
                raise
            self.listing = False
            log.warning(
                "The Hub refused to list the Jobs of %s (%s); checking each followed Job instead",
                self.namespace,
                exc,
            )
            return None
        return {job.id: job for job in jobs}

    async def _inspect(self, job_id: str, started: float) -> None:
        try:
            state: JobInfo | HubError = await self.client.inspect_job(job_id=job_id, namespace=self.namespace)
        except HubError as exc:
            state = exc
        self._deliver(job_id, state, started)

    def _say_budget(self) -> None:
        """Say once when the Hub throttles this connection, and once when its budget runs low."""
        budget, now = self.client.rate_budget, time.monotonic()
        if budget.throttles > self._throttles_seen:
            self._throttles_seen = budget.throttles
            log.warning(
                "The Hub is throttling requests for %s (429): the stage checks of its %d followed "
                "Job(s) paused once, for this whole triggerer, as long as the Hub asked",
                self.namespace,
                len(self.subscriptions),
            )
        low = budget.low(now)
        if low and not self._said_low:
            log.warning(
                "The Hub's rate-limit budget is low (%s of %s requests left, window resets in %.0f s): "
                "slowing the shared stage checks for %s",
                budget.remaining,
                budget.quota,
                budget.seconds_to_reset(now) or 0.0,
                self.namespace,
            )
        self._said_low = low


_pollers: weakref.WeakKeyDictionary[AsyncHubClient, dict[str, StagePoller]] = weakref.WeakKeyDictionary()


def shared_poller(client: AsyncHubClient, namespace: str) -> StagePoller:
    """The poller of this client (one per event loop and connection) and namespace."""
    pollers = _pollers.setdefault(client, {})
    if namespace not in pollers:
        pollers[namespace] = StagePoller(client, namespace)
    return pollers[namespace]


def _forget(poller: StagePoller) -> None:
    pollers = _pollers.get(poller.client, {})
    if pollers.get(poller.namespace) is poller:
        del pollers[poller.namespace]
