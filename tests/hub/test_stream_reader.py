"""The async stream reader on its own: what it hands over, and what a cancelled wait keeps.

The answers come from ``httpx.MockTransport`` so that each test decides exactly when bytes arrive.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from airflow_provider_hfhub.hub._streams import QUEUE_SIZE, AsyncStream
from airflow_provider_hfhub.hub.errors import HubResponseError
from airflow_provider_hfhub.hub.flows import Ended, Tick

EVENT_STREAM = {"content-type": "text/event-stream; charset=utf-8"}


class Source:
    """The body of an answer, read by read, as the test hands the reads over."""

    def __init__(self) -> None:
        self.reads: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (read := await self.reads.get()) is not None:
            self.taken += 1
            yield read


async def open_stream(body: Source | bytes, headers: dict[str, str] = EVENT_STREAM) -> AsyncStream:
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=body))
    )
    response = await client.send(client.build_request("GET", "http://hub.test/logs"), stream=True)
    return AsyncStream(response, lambda: None)  # the MockTransport client holds no connection


async def test_every_event_of_one_read_comes_in_order_then_the_end() -> None:
    stream = await open_stream(b"".join(b"data: %d\n\n" % i for i in range(50)))
    items = [await stream.next(5) for _ in range(51)]
    await stream.aclose()
    assert [item.data for item in items[:50]] == [str(i) for i in range(50)]  # type: ignore[union-attr]
    assert items[50] == Ended()


async def test_an_answer_that_is_not_an_event_stream_ends_the_connection_saying_so() -> None:
    stream = await open_stream(b"<html>sign in</html>", headers={"content-type": "text/html"})
    item = await stream.next(5)
    await stream.aclose()
    assert isinstance(item, Ended) and isinstance(item.error, HubResponseError)
    assert "text/html" in str(item.error) and "text/event-stream" in str(item.error)


async def test_a_silent_stream_gives_a_tick_and_a_cancelled_wait_loses_no_event() -> None:
    source = Source()
    stream = await open_stream(source)
    assert await stream.next(0.01) == Tick()
    waiting = asyncio.ensure_future(stream.next(60))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.wait({waiting})
    source.reads.put_nowait(b"data: kept\n\n")
    item = await stream.next(5)
    await stream.aclose()
    assert waiting.cancelled() and item.data == "kept"  # type: ignore[union-attr]


async def test_the_reader_stops_reading_ahead_when_its_buffer_is_full() -> None:
    source = Source()
    per_read = 100
    for _ in range(3 * QUEUE_SIZE // per_read):
        source.reads.put_nowait(b"data: x\n\n" * per_read)
    stream = await open_stream(source)
    for _ in range(100):  # the reader runs as far as it may
        await asyncio.sleep(0)
    ahead = source.taken
    for _ in range(QUEUE_SIZE):
        await stream.next(5)
    for _ in range(100):
        await asyncio.sleep(0)
    more = source.taken
    await stream.aclose()
    assert ahead == QUEUE_SIZE // per_read + 1  # then it waits for room
    assert more > ahead
