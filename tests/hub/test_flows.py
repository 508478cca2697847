"""The flows without a server: scripted connections, answers and a scripted clock in, steps out.

``World`` plays the runner: it answers each step the way a transport would, moving a fake clock
by what a real wait would take, so a test states the Hub's behaviour and checks what the flow did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from airflow_provider_hfhub.hub import calls, flows
from airflow_provider_hfhub.hub.config import RetryPolicy, StreamPolicy
from airflow_provider_hfhub.hub.errors import (
    ConflictError,
    HubResponseError,
    HubTransportError,
    RateLimitedError,
    ServerError,
)
from airflow_provider_hfhub.hub.models import JobInfo
from airflow_provider_hfhub.hub.sse import ServerSentEvent

POLICY = StreamPolicy(
    stage_checks_after_end=(0.0, 1.0, 2.0),
    backstop_interval=30.0,
    max_reconnects=3,
    reconnect_wait=1.0,
    max_reconnect_wait=4.0,
    idle_timeout=5.0,
)
LOGS, INSPECT = calls.job_logs("j1", "me"), calls.inspect_job("j1", "me")


def line(text: str, second: int = 0) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps({"data": text, "timestamp": f"2026-01-01T00:00:{second:02d}Z"}))


KEEPALIVE = ServerSentEvent(data="")
DROP = flows.Ended(httpx.ReadError("connection reset"))


@dataclass
class World:
    """The Hub as the flow sees it.

    :param connections: per opened connection, what it delivers in order: events, pauses (float
        seconds of silence), ``Ended``; past the end the connection stays open and silent.
    :param stage_at: the Job's stage at a given time.
    :param open_errors: errors raised by the first ``Open`` steps, one each.
    :param sent_once: per ``SendOnce`` step, in order: its answer, or an error to raise; a
        ``(seconds, outcome)`` pair takes that long first (a timeout, a slow 5xx).
    :param listed: per ``Page`` step, in order, the items on the (only) page; none past the end.
    """

    connections: list[list[Any]] = field(default_factory=list)
    stage_at: Callable[[float], str] = lambda now: "RUNNING"
    open_errors: list[BaseException] = field(default_factory=list)
    sent_once: list[Any] = field(default_factory=list)
    listed: list[list[Any]] = field(default_factory=list)
    now: float = 100.0
    steps: list[Any] = field(default_factory=list)
    emitted: list[Any] = field(default_factory=list)
    checks: list[float] = field(default_factory=list)
    _pending: list[Any] = field(default_factory=list)

    def run(self, flow: flows.Flow[Any], max_steps: int = 10_000) -> Any:
        answer: Any = None
        error: BaseException | None = None
        for _ in range(max_steps):
            try:
                step = flow.throw(error) if error else flow.send(answer)
            except StopIteration as stop:
                return stop.value
            self.steps.append(step)
            answer, error = None, None
            try:
                answer = (self.perform(step), self.now)
            except Exception as exc:
                error = exc
        raise AssertionError(f"the flow did not end within {max_steps} steps")

    def perform(self, step: Any) -> Any:
        if isinstance(step, flows.Open):
            if self.open_errors:
                raise self.open_errors.pop(0)
            self._pending = list(self.connections.pop(0)) if self.connections else []
            return None
        if isinstance(step, flows.Next):
            return self.next(step.timeout)
        if isinstance(step, flows.CheckStage) and step.at is not None:
            self.now = max(self.now, step.at)
        if isinstance(step, flows.Send):
            self.checks.append(self.now)
            stage = self.stage_at(self.now)
            return JobInfo.from_json({"id": "j1", "status": {"stage": stage}}, endpoint="https://hub")
        if isinstance(step, flows.Sleep):
            assert step.seconds >= 0
            self.now += step.seconds
            return None
        if isinstance(step, flows.Emit):
            self.emitted.append(step.item)
            return None
        if isinstance(step, flows.SendOnce):
            outcome = self.sent_once.pop(0)
            if isinstance(outcome, tuple):
                seconds, outcome = outcome
                self.now += seconds
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        if isinstance(step, flows.Page):
            return (self.listed.pop(0) if self.listed else []), None
        if isinstance(step, flows.Now):
            return None
        raise AssertionError(f"unexpected step {step!r}")

    def next(self, timeout: float) -> Any:
        assert timeout >= 0
        while self._pending and isinstance(self._pending[0], float):
            pause = self._pending[0]
            if pause > timeout:
                self._pending[0] = pause - timeout
                self.now += timeout
                return flows.Tick()
            self.now += pause
            timeout -= pause
            self._pending.pop(0)
        if not self._pending:
            self.now += timeout
            return flows.Tick()
        return self._pending.pop(0)

    def texts(self) -> list[str]:
        return [item.text for item in self.emitted]


def follow(world: World, policy: StreamPolicy = POLICY, logs: calls.Call[Any] = LOGS) -> None:
    world.run(flows.job_logs(logs, INSPECT, follow=True, policy=policy))


def done_after(when: float) -> Callable[[float], str]:
    return lambda now: "COMPLETED" if now >= when else "RUNNING"


def test_a_closed_stream_is_confirmed_by_the_stage_on_the_policy_schedule() -> None:
    # The Hub closes the stream at 100 s; its stage flips 1.5 s later (the lag).
    world = World([[line("a"), line("b"), flows.Ended()]], stage_at=done_after(101.5))
    follow(world)
    assert world.texts() == ["a", "b"]
    assert world.checks == [100.0, 101.0, 102.0]  # 0, 1, 2 s after the close, then it is over


def test_the_job_started_banner_is_not_a_log_line() -> None:
    world = World([[line("===== Job started at 2026"), line("a"), flows.Ended()]], stage_at=done_after(0))
    follow(world)
    assert world.texts() == ["a"]


def test_a_drop_reconnects_and_skips_the_replayed_prefix() -> None:
    replay = [line("a", 1), line("b", 2)]
    world = World(
        [[*replay, DROP], [*replay, line("c", 3), flows.Ended()]],
        stage_at=done_after(0),
    )
    follow(world)
    assert world.texts() == ["a", "b", "c"]
    assert [s.seconds for s in world.steps if isinstance(s, flows.Sleep)] == [1.0]


def test_repeated_drops_on_a_quiet_job_never_give_up_while_each_connection_is_healthy() -> None:
    # Each connection replays the banner (an event: the connection is healthy), then drops.
    # More drops than max_reconnects: a healthy reconnect ends the run of failures.
    banner = line("===== Job started", 0)
    drops = [[banner, DROP] for _ in range(POLICY.max_reconnects * 3)]
    world = World([*drops, [banner, line("done", 5), flows.Ended()]], stage_at=done_after(0))
    follow(world)
    assert world.texts() == ["done"]
    assert {s.seconds for s in world.steps if isinstance(s, flows.Sleep)} == {1.0}  # never backed off further


def test_connections_that_break_before_any_event_give_up_after_max_reconnects() -> None:
    world = World([[DROP] for _ in range(10)])
    with pytest.raises(HubTransportError, match="broke 4 times in a row"):
        follow(world)
    waits = [s.seconds for s in world.steps if isinstance(s, flows.Sleep)]
    assert waits == [1.0, 2.0, 4.0]  # doubling, capped by max_reconnect_wait


def test_failed_opens_back_off_then_succeed() -> None:
    errors: list[BaseException] = [ServerError("bad gateway", status_code=502) for _ in range(2)]
    world = World([[line("a"), flows.Ended()]], stage_at=done_after(0), open_errors=errors)
    follow(world)
    assert world.texts() == ["a"]
    assert [s.seconds for s in world.steps if isinstance(s, flows.Sleep)] == [1.0, 2.0]


def test_a_reconnection_gets_half_an_interval_before_the_backstop_fires() -> None:
    # Silent from 100 s, dropped at 125 s, reopened at 126 s: a fresh connection first replays the
    # history, so the backstop waits at least half an interval after it (141 s), not until 130 s.
    world = World([[KEEPALIVE, 25.0, DROP], [*[KEEPALIVE, 10.0] * 10]], stage_at=done_after(0))
    follow(world)
    assert world.checks == [141.0]


def test_a_silent_open_stream_is_checked_by_the_backstop() -> None:
    # Keep-alives only, forever; the Job ends at 170 s: the backstop (30 s) finds it, then drains.
    world = World([[line("a"), *[KEEPALIVE, 10.0] * 100]], stage_at=done_after(170.0))
    follow(world)
    assert world.texts() == ["a"]
    gaps = [round(b - a, 6) for a, b in zip(world.checks, world.checks[1:], strict=False)]
    assert world.checks[0] == pytest.approx(130.0) and set(gaps) == {30.0}
    assert world.checks[-1] >= 170.0


def test_lines_delay_the_backstop() -> None:
    # A line every 10 s: never 30 s of silence, so no stage check until the stream closes.
    talk = [item for i in range(10) for item in (10.0, line(f"l{i}", i))]
    world = World([[*talk, flows.Ended()]], stage_at=done_after(0))
    follow(world)
    assert world.checks == [200.0]


def test_after_the_backstop_sees_the_end_the_stream_is_drained_until_idle() -> None:
    world = World([[line("a"), 33.0, line("late"), KEEPALIVE, 1.0, KEEPALIVE]], stage_at=done_after(0))
    follow(world)
    assert world.texts() == ["a", "late"]
    # 30 s after "a", the check finds the Job over; the drain reads "late" at 133 and the
    # keep-alives, then stops after 5 s of silence.
    assert world.checks == [130.0] and world.now == pytest.approx(134.0 + POLICY.idle_timeout)


def test_a_drop_during_the_final_drain_loses_no_line() -> None:
    world = World(
        [[line("a", 1), 33.0, DROP], [line("a", 1), line("b", 2), flows.Ended()]],
        stage_at=done_after(0),
    )
    follow(world)
    assert world.texts() == ["a", "b"]


def test_a_stream_closed_before_the_stage_flips_is_reopened() -> None:
    # The stream closes but the Job is still RUNNING past the whole schedule: read it again.
    world = World(
        [[line("a", 1), flows.Ended()], [line("a", 1), line("b", 2), flows.Ended()]], stage_at=done_after(110)
    )
    follow(world)
    assert world.texts() == ["a", "b"]


def test_malformed_events_are_skipped_but_keep_their_place_in_the_replay() -> None:
    bad = ServerSentEvent(data="{not json")
    world = World(
        [[line("a", 1), bad, DROP], [line("a", 1), bad, line("b", 2), flows.Ended()]],
        stage_at=done_after(0),
    )
    follow(world)
    assert world.texts() == ["a", "b"]


def test_after_a_tail_the_replay_resumes_after_the_last_line_shown() -> None:
    tailed = calls.job_logs("j1", "me", tail=2)
    world = World(
        [
            [line("c", 3), line("d", 4), DROP],
            [line("a", 1), line("b", 2), line("c", 3), line("d", 4), line("e", 5), flows.Ended()],
        ],
        stage_at=done_after(0),
    )
    follow(world, logs=tailed)
    assert world.texts() == ["c", "d", "e"]
    opens = [s.call for s in world.steps if isinstance(s, flows.Open)]
    assert opens[0].params == (("tail", "2"),) and opens[1].params == ()


def test_without_follow_the_stream_is_read_until_idle_and_the_stage_never_asked() -> None:
    world = World([[line("a"), line("b"), 1.0, KEEPALIVE]])
    world.run(flows.job_logs(LOGS, INSPECT, follow=False, policy=POLICY))
    assert world.texts() == ["a", "b"] and world.checks == []


def test_the_flow_never_reads_a_clock_of_its_own() -> None:
    # Every wait the flow asks for is derived from the times the runner reported: with the clock
    # jumped far ahead between steps, the flow asks for no wait at all instead of a stale one.
    world = World([[line("a"), *[KEEPALIVE, 10.0] * 10]], stage_at=done_after(0), now=1e9)
    follow(world)
    nexts = [s.timeout for s in world.steps if isinstance(s, flows.Next)]
    assert max(nexts) <= POLICY.backstop_interval


def test_space_logs_follow_through_drops_until_the_hub_closes_the_stream() -> None:
    world = World([[line("build 1", 1), DROP], [line("build 1", 1), line("build 2", 2), flows.Ended()]])
    world.run(flows.space_logs(calls.space_logs("me/app", True), follow=True, policy=POLICY))
    assert world.texts() == ["build 1", "build 2"]


def test_space_logs_while_following_silence_is_not_an_end() -> None:
    world = World([[line("a", 1), 200.0, line("b", 2), flows.Ended()]])
    world.run(flows.space_logs(calls.space_logs("me/app", True), follow=True, policy=POLICY))
    assert world.texts() == ["a", "b"]


def test_metrics_stop_when_the_hub_says_the_job_is_over() -> None:
    world = World([[ServerSentEvent(data=json.dumps({"cpu_usage_pct": 5}))]], open_errors=[])
    world.open_errors = []
    world.connections.append([])
    world.stage_at = done_after(0)
    world.run(flows.job_metrics(calls.job_metrics("j1", "me"), INSPECT, follow=True, policy=POLICY))
    assert world.emitted == [{"cpu_usage_pct": 5}]


def test_pagination_follows_next_links() -> None:
    pages = iter([([1, 2], "/api/jobs/me?cursor=2"), ([3], None)])
    flow = flows.paginate(calls.Call("GET", "/api/jobs/me", lambda data, endpoint: data))
    step = flow.send(None)
    sent = []
    try:
        while True:
            sent.append(step.call.url_path)
            step = flow.send((next(pages), 0.0))
    except StopIteration as stop:
        assert stop.value == [1, 2, 3]
    assert sent == ["/api/jobs/me", "/api/jobs/me?cursor=2"]


# --- creating paid work -------------------------------------------------------------------------

# initial_wait == max_wait: every back-off is exactly 2 s (the jitter is cut by max_wait).
CREATE_POLICY = RetryPolicy(max_attempts=3, max_total_wait=60.0, initial_wait=2.0, max_wait=2.0)
MINE = {"airflow-try": "1"}
CREATE = calls.run_job(calls.JobSpec(image="python:3.12", command=["true"]), "me", MINE)
BLIND = calls.run_job(calls.JobSpec(image="python:3.12", command=["true"]), "me")  # nothing to find by


def job(job_id: str, created: str = "2026-01-01T00:00:00Z") -> JobInfo:
    data = {"id": job_id, "createdAt": created, "status": {"stage": "RUNNING"}}
    return JobInfo.from_json(data, endpoint="https://hub")


def lost(status: int = 502) -> ServerError:
    return ServerError(f"{status} from the Hub or a proxy", status_code=status)


def transport(cause: BaseException) -> HubTransportError:
    error = HubTransportError(f"did not complete ({cause})")
    error.__cause__ = cause  # as the transport raises it: ``raise transport_error(exc) from exc``
    return error


RESET = transport(httpx.ReadError("connection reset by peer"))
REFUSED = transport(httpx.ConnectError("connection refused"))  # never sent


def created(world: World, call: calls.Call[Any] = CREATE) -> Any:
    return world.run(flows.create(call, CREATE_POLICY))


def trace(world: World) -> list[str]:
    """What the flow asked for, Now steps left out: send, sleep N, lookup."""
    names = {flows.SendOnce: "send", flows.Page: "lookup"}
    return [
        f"sleep {s.seconds:g}" if isinstance(s, flows.Sleep) else names[type(s)]
        for s in world.steps
        if not isinstance(s, flows.Now)
    ]


@pytest.mark.parametrize(
    "error",
    [
        lost(500),
        lost(502),
        lost(503),
        lost(504),
        RESET,
        transport(httpx.ReadTimeout("read timed out")),
        HubResponseError("not JSON"),
    ],
    ids=["500", "502", "503", "504", "reset", "timeout", "unreadable-2xx"],
)
def test_a_lost_answer_is_looked_up_after_the_back_off_and_never_sent_again(error: BaseException) -> None:
    world = World(sent_once=[error], listed=[[job("made")]])
    assert created(world).id == "made"
    assert trace(world) == ["send", "sleep 2", "lookup"]
    [lookup] = [s.call for s in world.steps if isinstance(s, flows.Page)]
    assert lookup.url_path == "/api/jobs/me" and lookup.params == (("label", "airflow-try=1"),)


def test_a_create_the_lookup_does_not_find_is_sent_again() -> None:
    world = World(sent_once=[lost(503), job("second")], listed=[[]])
    assert created(world).id == "second"
    assert trace(world) == ["send", "sleep 2", "lookup", "send"]


def test_the_newest_of_several_found_is_taken() -> None:
    found = [job("old", "2026-01-01T00:00:00Z"), job("new", "2026-01-01T00:05:00Z")]
    assert created(World(sent_once=[RESET], listed=[found])).id == "new"


@pytest.mark.parametrize("error", [REFUSED, RateLimitedError("429", status_code=429)], ids=["connect", "429"])
def test_a_create_that_surely_did_not_land_is_sent_again_without_a_lookup(error: BaseException) -> None:
    world = World(sent_once=[error, job("made")])
    assert created(world, BLIND).id == "made"  # safe even with nothing to find by
    assert trace(world) == ["send", "sleep 2", "send"]


def test_a_429_waits_what_the_hub_asks() -> None:
    world = World(sent_once=[RateLimitedError("429", status_code=429, retry_after=7.0), job("made")])
    created(world)
    assert trace(world) == ["send", "sleep 7", "send"]


@pytest.mark.parametrize("error", [lost(502), lost(503), RESET], ids=["502", "503", "reset"])
def test_without_labels_to_find_it_by_a_lost_answer_raises_at_once(error: BaseException) -> None:
    world = World(sent_once=[error])
    with pytest.raises(type(error)):
        created(world, BLIND)
    assert trace(world) == ["send"]


def test_a_refusal_raises_at_once() -> None:
    world = World(sent_once=[ConflictError("409", status_code=409)])
    with pytest.raises(ConflictError):
        created(world)
    assert trace(world) == ["send"]


def test_every_attempt_counts_against_the_one_policy_and_the_last_is_looked_up_too() -> None:
    world = World(sent_once=[lost(502)] * CREATE_POLICY.max_attempts)
    with pytest.raises(ServerError):
        created(world)
    assert trace(world) == ["send", "sleep 2", "lookup"] * CREATE_POLICY.max_attempts


def test_blind_resends_stop_at_the_attempt_budget() -> None:
    world = World(sent_once=[REFUSED] * CREATE_POLICY.max_attempts)
    with pytest.raises(HubTransportError):
        created(world)
    assert trace(world) == ["send", "sleep 2", "send", "sleep 2", "send"]


def test_the_total_wait_is_measured_on_the_runners_clock_across_failed_steps() -> None:
    # Each send takes 15 s before its 504; a failed step reports no time, so the flow asks (Now).
    # 60 s in all: failed at 15 s, wait 20; failed again at 50 s, the wait is cut to the 10 s
    # left; failed at 75 s, over budget with attempts to spare: one last lookup, then the error.
    policy = RetryPolicy(max_attempts=5, max_total_wait=60.0, initial_wait=20.0, max_wait=20.0)
    world = World(sent_once=[(15.0, lost(504))] * 3)
    with pytest.raises(ServerError):
        world.run(flows.create(CREATE, policy))
    assert trace(world) == [
        *("send", "sleep 20", "lookup"),
        *("send", "sleep 10", "lookup"),
        *("send", "sleep 0", "lookup"),
    ]


def test_the_create_flow_never_reads_a_clock_of_its_own() -> None:
    world = World(sent_once=[lost(502), lost(502), job("made")], now=1e9)
    assert created(world).id == "made"
    assert trace(world) == ["send", "sleep 2", "lookup", "send", "sleep 2", "lookup", "send"]
