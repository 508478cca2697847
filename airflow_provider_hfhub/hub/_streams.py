"""The stream readers: the one part of the transports written twice, because waiting differs.

Each reads one SSE response ahead of its consumer into a bounded buffer, so that the consumer can
wait for the next event with a timeout (keep-alive comments are not events: no read can time out
per event). Both parse with :class:`~airflow_provider_hfhub.hub.sse.EventParser`, a network read
at a time. The async reader pumps in a task, the sync one in a thread; each closes its response
and then says so (``on_close``: the transport frees the stream's room on its client). No Airflow
imports here.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import socket
import threading
from collections.abc import Callable, Iterable

import httpx

from airflow_provider_hfhub.hub.errors import HubResponseError
from airflow_provider_hfhub.hub.flows import Ended, StreamItem, Tick
from airflow_provider_hfhub.hub.sse import EventParser

QUEUE_SIZE = 1024  # events read ahead of the consumer; bounded so a fast stream cannot flood memory


def require_event_stream(response: httpx.Response) -> None:
    """Refuse an answer that is not an event stream (a proxy's page, say): that connection ends."""
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" not in content_type.partition(";")[0]:
        raise HubResponseError(
            f"{response.request.url} answered {content_type or 'no content type'} where a log stream "
            "(text/event-stream) was expected"
        )


class AsyncStream:
    """Reads one SSE response in a task.

    The consumer waits on a plain future that the reader resolves, not on a task of its own: a
    triggerer waits on a thousand streams at once, and each task is one more object for every
    garbage collection to walk (README "Performance").

    :param response: the streaming response, headers read.
    :param on_close: called once the response is closed.
    """

    def __init__(self, response: httpx.Response, on_close: Callable[[], None]) -> None:
        self._response = response
        self._on_close = on_close
        self._items: collections.deque[StreamItem] = collections.deque()
        self._arrived: asyncio.Future[None] | None = None  # the consumer waits for items
        self._taken: asyncio.Future[None] | None = None  # the reader waits for room
        self._task = asyncio.get_running_loop().create_task(self._pump())

    def _hand_over(self, items: Iterable[StreamItem]) -> None:
        self._items.extend(items)
        _resolve(self._arrived)

    async def _pump(self) -> None:
        try:
            require_event_stream(self._response)
            parser = EventParser()
            async for chunk in self._response.aiter_bytes():
                self._hand_over(parser.feed(chunk))
                while len(self._items) >= QUEUE_SIZE:
                    self._taken = asyncio.get_running_loop().create_future()
                    await self._taken
            self._hand_over([*parser.close(), Ended()])
        except Exception as exc:  # any read failure ends this connection; the flow decides what next
            self._hand_over([Ended(exc)])

    async def next(self, timeout: float) -> StreamItem:
        """The next event, :class:`Tick` after ``timeout`` s without one, or :class:`Ended`."""
        if not self._items:
            loop = asyncio.get_running_loop()
            self._arrived = arrived = loop.create_future()
            timer = loop.call_later(timeout, _resolve, arrived)
            try:
                await arrived  # a cancelled consumer cancels only this future: no event is lost
            finally:
                timer.cancel()
                self._arrived = None
            if not self._items:
                return Tick()
        item = self._items.popleft()
        if len(self._items) < QUEUE_SIZE:
            _resolve(self._taken)
        return item

    async def aclose(self) -> None:
        """Stop the reader and close the connection, even when the caller is cancelled meanwhile."""
        self._task.cancel()
        try:
            # asyncio.wait, not `await self._task`: the reader's own CancelledError is expected and
            # stays in the task, while a cancellation aimed at the caller is raised here and kept.
            await asyncio.wait({self._task})
        finally:
            try:
                await self._response.aclose()
            finally:
                self._on_close()


def _resolve(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class SyncStream:
    """Reads one SSE response in a thread.

    :param response: the streaming response, headers read.
    :param on_close: called once the response is closed.
    """

    def __init__(self, response: httpx.Response, on_close: Callable[[], None]) -> None:
        self._response = response
        self._on_close = on_close
        self._queue: queue.Queue[StreamItem] = queue.Queue(QUEUE_SIZE)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True, name="hfhub-sse")
        self._thread.start()

    def _put(self, item: StreamItem) -> None:
        while not self._closed.is_set():  # a closed stream's consumer is gone: do not block on it
            with contextlib.suppress(queue.Full):
                self._queue.put(item, timeout=0.5)
                return

    def _pump(self) -> None:
        try:
            require_event_stream(self._response)
            parser = EventParser()
            for chunk in self._response.iter_bytes():
                for event in parser.feed(chunk):
                    self._put(event)
            for event in parser.close():
                self._put(event)
            self._put(Ended())
        except Exception as exc:  # any read failure ends this connection; the flow decides what next
            self._put(Ended(exc))

    def next(self, timeout: float) -> StreamItem:
        """The next event, :class:`Tick` after ``timeout`` s without one, or :class:`Ended`."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return Tick()

    def close(self) -> None:
        """Close the connection; the reader thread's blocked read then fails and the thread ends."""
        self._closed.set()
        # Closing a socket that another thread is reading from neither wakes that read nor ends
        # the connection (Linux keeps it until the read returns: the next keep-alive, or the read
        # timeout), so the Hub would keep serving it. Shutting it down does both at once.
        stream = self._response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        try:
            self._response.close()
        finally:
            self._on_close()
