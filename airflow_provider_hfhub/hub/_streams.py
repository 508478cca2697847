"""The stream readers: the one part of the transports written twice, because waiting differs.

Each reads one SSE response ahead of its consumer into a bounded queue, so that the consumer can
wait for the next event with a timeout (keep-alive comments are not events: no read can time out
per event). The async reader pumps in a task, the sync one in a thread; each owns the client that
holds its connection and closes it. No Airflow imports here.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import socket
import threading

import httpx
from httpx_sse import EventSource

from airflow_provider_hfhub.hub.flows import Ended, StreamItem, Tick

QUEUE_SIZE = 1024  # events read ahead of the consumer; bounded so a fast stream cannot flood memory


class AsyncStream:
    """Reads one SSE response in a task.

    :param response: the streaming response, headers read.
    :param client: the client holding its connection, closed with the stream.
    """

    def __init__(self, response: httpx.Response, client: httpx.AsyncClient) -> None:
        self._response = response
        self._client = client
        self._queue: asyncio.Queue[StreamItem] = asyncio.Queue(QUEUE_SIZE)
        self._getter: asyncio.Future[StreamItem] | None = None
        self._task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            async for event in EventSource(self._response).aiter_sse():
                await self._queue.put(event)
            await self._queue.put(Ended())
        except Exception as exc:  # any read failure ends this connection; the flow decides what next
            await self._queue.put(Ended(exc))

    async def next(self, timeout: float) -> StreamItem:
        """The next event, :class:`Tick` after ``timeout`` s without one, or :class:`Ended`."""
        if self._getter is None and not self._queue.empty():  # fast path: no timer on a busy stream
            return self._queue.get_nowait()
        # Not asyncio.wait_for: before Python 3.12 it can swallow a cancellation that races with
        # the result, leaving a cancelled trigger running. A pending get survives a Tick instead.
        if self._getter is None:
            self._getter = asyncio.ensure_future(self._queue.get())
        done, _ = await asyncio.wait({self._getter}, timeout=timeout)
        if not done:
            return Tick()
        getter, self._getter = self._getter, None
        return getter.result()

    async def aclose(self) -> None:
        """Stop the reader and close the connection, even when the caller is cancelled meanwhile."""
        if self._getter is not None:
            self._getter.cancel()
        self._task.cancel()
        try:
            # asyncio.wait, not `await self._task`: the reader's own CancelledError is expected and
            # stays in the task, while a cancellation aimed at the caller is raised here and kept.
            await asyncio.wait({self._task})
        finally:
            try:
                await self._response.aclose()
            finally:
                await self._client.aclose()


class SyncStream:
    """Reads one SSE response in a thread.

    :param response: the streaming response, headers read.
    :param client: the client holding its connection, closed with the stream.
    """

    def __init__(self, response: httpx.Response, client: httpx.Client) -> None:
        self._response = response
        self._client = client
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
            for event in EventSource(self._response).iter_sse():
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
            self._client.close()
