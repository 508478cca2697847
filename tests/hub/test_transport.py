"""The transports over real HTTP: one shape in two forms, the runner protocol, and streams that close."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from airflow_provider_hfhub.hub import AsyncHubClient, HubConfig, calls
from airflow_provider_hfhub.hub._transport_base import MAX_OPENING_STREAMS, STREAM_LIMITS, STREAMS_PER_CLIENT
from airflow_provider_hfhub.hub.errors import NotFoundError
from airflow_provider_hfhub.hub.flows import Emit, Flow, Next, Now, Open, Page, Send, Sleep
from airflow_provider_hfhub.hub.transport import AsyncTransport, SyncTransport
from airflow_provider_hfhub.testing import FakeHub

from .conftest import FAST_STREAM, config_for

# No stream read times out within a test: a connection left open stays open, and nothing that
# waits on one ends early by the read timeout.
NO_READ_TIMEOUT = replace(FAST_STREAM, read_timeout=600)


@pytest.fixture
def async_clients(monkeypatch: pytest.MonkeyPatch) -> list[httpx.AsyncClient]:
    """Every ``httpx.AsyncClient`` made during the test, each with the responses it sent (``answers``)
    and whether it is a log streams' client (``for_streams``)."""
    made: list[httpx.AsyncClient] = []

    class Recorded(httpx.AsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.answers: list[httpx.Response] = []
            self.for_streams = kwargs.get("limits") is STREAM_LIMITS
            made.append(self)

        async def send(self, *args: Any, **kwargs: Any) -> httpx.Response:
            self.answers.append(await super().send(*args, **kwargs))
            return self.answers[-1]

    monkeypatch.setattr(httpx, "AsyncClient", Recorded)
    return made


async def _held_job(fake_hub: FakeHub, client: AsyncHubClient) -> str:
    fake_hub.add_job_scenario("held", lines=["first"], hold=True)
    job = await client.run_job(image="python:3.12", command=["t"], labels={"fake-scenario": "held"})
    return job.id


async def _until(what: str, predicate: Any, timeout: float = 10.0) -> Any:
    """Poll ``predicate`` (a blocking call, run off the loop) until it is truthy."""
    deadline = time.monotonic() + timeout
    while not (value := await asyncio.to_thread(predicate)):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
    return value


async def _until_no_stream(fake_hub: FakeHub) -> None:
    await _until("the fake Hub to see every stream closed", lambda: not fake_hub.open_streams())


def test_sync_and_async_transports_have_the_same_methods_and_signatures() -> None:
    def public(cls: type) -> dict[str, inspect.Signature]:
        return {name: inspect.signature(m) for name, m in vars(cls).items() if not name.startswith("_")}

    sync, async_ = public(SyncTransport), public(AsyncTransport)
    async_["close"] = async_.pop("aclose")
    assert sync.keys() == async_.keys()
    for name, signature in sync.items():
        other = async_[name].parameters
        assert [(p.name, p.kind, p.default) for p in signature.parameters.values()] == [
            (p.name, p.kind, p.default) for p in other.values()
        ], name


def _probe(answers: list[Any], logs: calls.Call[None], missing: calls.Call[Any]) -> Flow[None]:
    """Every kind of step once, recording what the runner answers."""
    answers.append((yield Now()))
    answers.append((yield Send(calls.whoami())))
    answers.append((yield Page(calls.list_jobs(None))))
    answers.append((yield Open(logs)))
    answers.append((yield Next(5.0)))
    answers.append((yield Sleep(0.05)))
    answers.append((yield Emit("item")))
    try:
        yield Send(missing)
    except NotFoundError as exc:  # thrown into the flow, not answered
        answers.append(exc)


def _consume_sync(config: HubConfig, flow: Flow[None]) -> float:
    transport = SyncTransport(config)
    try:
        items: Iterator[Any] = transport.iterate(flow)
        assert next(items) == "item"
        taken = time.monotonic()
        assert next(items, None) is None
        return taken
    finally:
        transport.close()


async def _consume_async(config: HubConfig, flow: Flow[None]) -> float:
    transport = AsyncTransport(config)
    try:
        items = transport.iterate(flow)
        assert await anext(items) == "item"
        taken = time.monotonic()
        assert await anext(items, None) is None
        return taken
    finally:
        await transport.aclose()


@pytest.mark.parametrize("form", ["sync", "async"])
def test_every_step_is_answered_with_its_result_and_the_time_after_it(fake_hub: FakeHub, form: str) -> None:
    fake_hub.add_job_scenario("held", lines=["first"], hold=True)
    config = config_for(fake_hub)
    with httpx.Client(base_url=fake_hub.url, headers={"authorization": f"Bearer {fake_hub.token}"}) as http:
        body = {"dockerImage": "python:3.12", "command": ["t"], "labels": {"fake-scenario": "held"}}
        job_id = http.post(f"/api/jobs/{fake_hub.user}", json=body).json()["id"]
    answers: list[Any] = []
    flow = _probe(answers, calls.job_logs(job_id, None), calls.inspect_job("no-such-job", None))
    started = time.monotonic()
    taken = _consume_sync(config, flow) if form == "sync" else asyncio.run(_consume_async(config, flow))
    ended = time.monotonic()

    *pairs, thrown = answers
    assert isinstance(thrown, NotFoundError)
    assert all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs), pairs
    results, nows = zip(*pairs, strict=True)
    assert list(nows) == sorted(nows) and started <= nows[0] and nows[-1] <= ended
    now, whoami, (jobs, next_url), opened, event, slept, emitted = results
    assert now is None and opened is None and slept is None and emitted is None
    assert whoami["name"] == fake_hub.user and [j.id for j in jobs] == [job_id] and next_url is None
    assert "Job started" in event.data
    assert nows[5] - nows[4] >= 0.05  # read after the sleep, not before it
    assert nows[6] >= taken  # read once the consumer had taken the item and asked for more
    fake_hub.finish_job(job_id)


async def test_a_cancelled_stream_read_leaves_no_connection_open(
    fake_hub: FakeHub, async_clients: list[httpx.AsyncClient]
) -> None:
    async with AsyncHubClient(config_for(fake_hub, stream=NO_READ_TIMEOUT)) as client:
        job_id = await _held_job(fake_hub, client)
        first = asyncio.Event()

        async def follow() -> None:
            async for _line in client.fetch_job_logs(job_id=job_id, follow=True):
                first.set()

        reader = asyncio.create_task(follow())
        await asyncio.wait_for(first.wait(), 10)  # the stream is open and the reader waits on it
        assert len(await asyncio.to_thread(fake_hub.open_streams)) == 1
        reader.cancel()
        done, _ = await asyncio.wait(
            {reader}, timeout=10
        )  # a hung close shows here, not at the pytest timeout
        assert done
        with pytest.raises(asyncio.CancelledError):
            await reader
        await _until_no_stream(fake_hub)
        assert _stream_answers(async_clients) and all(
            answer.is_closed for answer in _stream_answers(async_clients)
        )


async def test_cancelling_a_task_that_closes_a_stream_raises_cancelled_error_in_it(
    fake_hub: FakeHub, async_clients: list[httpx.AsyncClient]
) -> None:
    async with AsyncHubClient(config_for(fake_hub, stream=NO_READ_TIMEOUT)) as client:
        job_id = await _held_job(fake_hub, client)
        lines = client.fetch_job_logs(job_id=job_id, follow=True)
        assert (await anext(lines)).text == "first"

        async def close() -> None:
            await lines.aclose()  # type: ignore[attr-defined]

        closer = asyncio.create_task(close())
        # One pass of the loop runs the closer up to its first wait: the stream's reader task
        # stopping, which takes the reader a pass of its own. The cancel lands in that wait.
        await asyncio.sleep(0)
        assert not closer.done()
        closer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closer
        assert closer.cancelled()
        await _until_no_stream(fake_hub)  # cancelled or not, the close went through
        assert _stream_answers(async_clients) and all(
            answer.is_closed for answer in _stream_answers(async_clients)
        )


def _stream_clients(clients: list[httpx.AsyncClient]) -> list[httpx.AsyncClient]:
    return [client for client in clients if client.for_streams]  # type: ignore[attr-defined]


def _stream_answers(clients: list[httpx.AsyncClient]) -> list[httpx.Response]:
    return [answer for client in _stream_clients(clients) for answer in client.answers]  # type: ignore[attr-defined]


async def test_a_cancel_while_a_stream_opens_frees_its_room_on_the_stream_client(
    fake_hub: FakeHub, async_clients: list[httpx.AsyncClient]
) -> None:
    # Were the room of a stream cancelled in its opening kept, a new stream client would be made
    # after STREAMS_PER_CLIENT of them.
    async with AsyncHubClient(config_for(fake_hub, stream=NO_READ_TIMEOUT)) as client:
        job_id = await _held_job(fake_hub, client)
        logs = f"/api/jobs/{fake_hub.user}/{job_id}/logs"

        async def first_line() -> Any:
            return await anext(client.fetch_job_logs(job_id=job_id, follow=True))

        for opened in range(1, STREAMS_PER_CLIENT + 2):
            fake_hub.inject_fault("slow", path="/logs$", seconds=3)  # the Hub holds the answer back
            reader = asyncio.create_task(first_line())
            await _until("the stream request", lambda: len(fake_hub.requests(logs)) == opened)  # noqa: B023
            reader.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reader
        assert len(_stream_clients(async_clients)) == 1
        fake_hub.clear_faults()
        assert (await first_line()).text == "first"  # the room is there to use


async def test_streams_one_after_another_share_one_stream_client_and_close_their_answers(
    fake_hub: FakeHub, async_clients: list[httpx.AsyncClient]
) -> None:
    async with AsyncHubClient(config_for(fake_hub, stream=NO_READ_TIMEOUT)) as client:
        job_id = await _held_job(fake_hub, client)
        for _ in range(STREAMS_PER_CLIENT + 1):
            lines = client.fetch_job_logs(job_id=job_id, follow=True)
            assert (await anext(lines)).text == "first"
            await lines.aclose()  # type: ignore[attr-defined]
        await _until_no_stream(fake_hub)
    assert len(_stream_clients(async_clients)) == 1
    assert all(answer.is_closed for answer in _stream_answers(async_clients))
    assert len(_stream_answers(async_clients)) == STREAMS_PER_CLIENT + 1


async def test_log_streams_open_in_waves_so_a_restart_does_not_flood_one_loop(fake_hub: FakeHub) -> None:
    # A triggerer restarted with many Job triggers opens all their streams at once; the transport lets
    # MAX_OPENING_STREAMS be in their opening (until the Hub's answer starts) and the rest wait a slot.
    total, held = MAX_OPENING_STREAMS + 8, 1.0
    async with AsyncHubClient(config_for(fake_hub, stream=NO_READ_TIMEOUT)) as client:
        fake_hub.add_job_scenario("held", lines=["first"], hold=True)
        job_ids = [
            (await client.run_job(image="python:3.12", command=["t"], labels={"fake-scenario": "held"})).id
            for _ in range(total)
        ]
        fake_hub.inject_fault("slow", path="/logs$", seconds=held, count=total)  # each answer held back

        async def first_line(job_id: str) -> Any:
            return await anext(client.fetch_job_logs(job_id=job_id, follow=True))

        lines = await asyncio.gather(*(first_line(job_id) for job_id in job_ids))
    assert [line.text for line in lines] == ["first"] * total
    opened = sorted(r["time"] for r in fake_hub.requests("/api/jobs/") if r["path"].endswith("/logs"))
    assert len(opened) == total
    first_wave, next_one = (
        opened[MAX_OPENING_STREAMS - 1] - opened[0],
        opened[MAX_OPENING_STREAMS] - opened[0],
    )
    assert first_wave < held * 0.8, f"the first {MAX_OPENING_STREAMS} waited: {first_wave:.2f} s"
    assert next_one >= held * 0.8, f"stream {MAX_OPENING_STREAMS + 1} opened {next_one:.2f} s after the first"
