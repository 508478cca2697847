"""The two transports: the only module that sends requests, reads streams or sleeps.

``SyncTransport`` (httpx.Client) and ``AsyncTransport`` (httpx.AsyncClient) run the same calls and
flows; they differ only in how they wait. No Airflow imports here.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import httpx
import tenacity
from httpx_sse import EventSource

from airflow_provider_hfhub.hub.calls import Call, whoami
from airflow_provider_hfhub.hub.config import HubConfig
from airflow_provider_hfhub.hub.errors import (
    HubError,
    HubResponseError,
    error_from_response,
    transport_error,
)
from airflow_provider_hfhub.hub.flows import Emit, Ended, Flow, Next, Now, Open, Page, Send, Sleep, Step, Tick
from airflow_provider_hfhub.hub.retry import retry_kwargs

T = TypeVar("T")
_AFTER_EMIT = object()  # the consumer has taken an emitted item: answer the flow with the time then
_QUEUE_SIZE = 1024  # events read ahead of the consumer; bounded so a fast stream cannot flood memory


def client_options(config: HubConfig) -> dict[str, Any]:
    """Options shared by the sync and async ``httpx`` clients."""
    headers = {"user-agent": config.user_agent or "airflow-provider-hfhub"}
    if config.token:
        headers["authorization"] = f"Bearer {config.token}"
    return {
        "base_url": config.endpoint,
        "headers": headers,
        "timeout": httpx.Timeout(config.timeout),
        "follow_redirects": True,
    }


def _request_kwargs(call: Call[Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": {"x-amzn-trace-id": str(uuid.uuid4())}}
    if call.params:
        kwargs["params"] = list(call.params)
    if call.json is not None:
        kwargs["json"] = call.json
    return kwargs


def _parse(call: Call[T], response: httpx.Response, endpoint: str) -> T:
    try:
        data = response.json() if response.content else None
        return call.parse(data, endpoint)
    except HubError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise HubResponseError(
            f"{call.method} {response.request.url} answered {response.status_code} with a body that could not "
            f"be read ({exc}): {response.text[:200]}"
        ) from exc


def _next_page(response: httpx.Response) -> str | None:
    return response.links.get("next", {}).get("url")


def _stream_timeout(config: HubConfig) -> httpx.Timeout:
    return httpx.Timeout(config.timeout, read=config.stream.read_timeout)


class _Namespace:
    """The default Jobs namespace: from the config, else ``whoami-v2`` once (it is heavily rate-limited)."""

    def __init__(self, configured: str | None) -> None:
        self.value = configured

    def remember(self, account: Any) -> None:
        if self.value is None and isinstance(account, dict) and account.get("name"):
            self.value = str(account["name"])

    def require(self) -> str:
        if self.value is None:
            raise HubResponseError("whoami-v2 returned no account name: set the namespace explicitly")
        return self.value


class SyncTransport:
    def __init__(self, config: HubConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self._client = client or httpx.Client(**client_options(config))
        self._namespace = _Namespace(config.namespace)
        self._retrying = {
            c: tenacity.Retrying(**retry_kwargs(config.retry, creates=c)) for c in (False, True)
        }

    def close(self) -> None:
        self._client.close()

    def whoami(self) -> Any:
        account = self.send(whoami())
        self._namespace.remember(account)
        return account

    def namespace(self) -> str:
        if self._namespace.value is None:
            self.whoami()
        return self._namespace.require()

    def _resolve(self, call: Call[T]) -> Call[T]:
        return call.in_namespace(self.namespace()) if call.needs_namespace else call

    def _response(self, call: Call[Any]) -> httpx.Response:
        call = self._resolve(call)
        for attempt in self._retrying[call.creates].copy():
            with attempt:
                try:
                    response = self._client.request(call.method, call.url_path, **_request_kwargs(call))
                except httpx.TransportError as exc:
                    raise transport_error(exc) from exc
                if response.is_error:
                    raise error_from_response(response)
        return response

    def send(self, call: Call[T]) -> T:
        return _parse(call, self._response(call), self.config.endpoint)

    def page(self, call: Call[T]) -> tuple[T, str | None]:
        response = self._response(call)
        return _parse(call, response, self.config.endpoint), _next_page(response)

    def run(self, flow: Flow[T]) -> T:
        items = self.iterate(flow)
        for item in items:
            raise TypeError(f"flow emitted {item!r} where no items were expected")
        return items.result

    def iterate(self, flow: Flow[Any]) -> _SyncFlowIterator:
        return _SyncFlowIterator(self, flow)

    def open_stream(self, call: Call[Any]) -> _SyncStream:
        call = self._resolve(call)
        request = self._client.build_request(
            call.method, call.url_path, timeout=_stream_timeout(self.config), **_request_kwargs(call)
        )
        request.headers["accept"] = "text/event-stream"
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        if response.is_error:
            response.read()
            response.close()
            raise error_from_response(response)
        return _SyncStream(response)


class _SyncStream:
    """Reads one SSE response in a thread so the consumer can wait with a timeout (keep-alives are invisible)."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._queue: queue.Queue[Any] = queue.Queue(_QUEUE_SIZE)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True, name="hfhub-sse")
        self._thread.start()

    def _put(self, item: Any) -> None:
        while not self._closed.is_set():
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

    def next(self, timeout: float) -> Any:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return Tick()

    def close(self) -> None:
        self._closed.set()
        self._response.close()


class _SyncFlowIterator(Iterator[Any]):
    """Runs a flow step by step; yields what it emits and keeps what it returns in ``result``."""

    def __init__(self, transport: SyncTransport, flow: Flow[Any]) -> None:
        self._transport = transport
        self._flow = flow
        self._stream: _SyncStream | None = None
        self._pending: tuple[Any, BaseException | None] = (None, None)
        self.result: Any = None

    def __iter__(self) -> _SyncFlowIterator:
        return self

    def __next__(self) -> Any:
        while True:
            value, error = self._pending
            if value is _AFTER_EMIT:
                value = (None, time.monotonic())
            try:
                step: Step = self._flow.throw(error) if error else self._flow.send(value)
            except StopIteration as stop:
                self.close()
                self.result = stop.value
                raise
            except BaseException:
                self.close()
                raise
            if isinstance(step, Emit):
                self._pending = (_AFTER_EMIT, None)
                return step.item
            try:
                self._pending = ((self._perform(step), time.monotonic()), None)
            except HubError as exc:
                self._pending = (None, exc)

    def _perform(self, step: Step) -> Any:
        transport = self._transport
        if isinstance(step, Send):
            return transport.send(step.call)
        if isinstance(step, Page):
            return transport.page(step.call)
        if isinstance(step, Open):
            self._close_stream()
            self._stream = transport.open_stream(step.call)
            return None
        if isinstance(step, Next):
            return self._stream.next(step.timeout) if self._stream else Ended()
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        if isinstance(step, Now):
            return None
        raise TypeError(f"unknown step {step!r}")

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def close(self) -> None:
        self._close_stream()
        self._flow.close()


# A triggerer follows hundreds of Jobs on one loop: calls share one pool, gated so the pool never
# holds a long queue (httpx rescans its whole queue on every request), while each log stream, which
# holds its connection for the Job's whole life, gets a connection of its own outside that pool.
MAX_CONCURRENT_CALLS = 100


class AsyncTransport:
    def __init__(self, config: HubConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._client = client or httpx.AsyncClient(
            **client_options(config),
            limits=httpx.Limits(
                max_connections=MAX_CONCURRENT_CALLS, max_keepalive_connections=MAX_CONCURRENT_CALLS
            ),
        )
        self._calls = asyncio.Semaphore(MAX_CONCURRENT_CALLS)
        self._ssl = httpx.create_ssl_context()  # made once: building one per stream is costly
        self._namespace = _Namespace(config.namespace)
        self._namespace_lock = asyncio.Lock()
        self._retrying = {
            c: tenacity.AsyncRetrying(**retry_kwargs(config.retry, creates=c)) for c in (False, True)
        }

    async def aclose(self) -> None:
        await self._client.aclose()

    async def whoami(self) -> Any:
        account = await self.send(whoami())
        self._namespace.remember(account)
        return account

    async def namespace(self) -> str:
        async with self._namespace_lock:  # concurrent first calls share one whoami request
            if self._namespace.value is None:
                await self.whoami()
        return self._namespace.require()

    async def _resolve(self, call: Call[T]) -> Call[T]:
        return call.in_namespace(await self.namespace()) if call.needs_namespace else call

    async def _response(self, call: Call[Any]) -> httpx.Response:
        call = await self._resolve(call)
        async for attempt in self._retrying[call.creates].copy():
            with attempt:
                try:
                    async with self._calls:
                        response = await self._client.request(
                            call.method, call.url_path, **_request_kwargs(call)
                        )
                except httpx.TransportError as exc:
                    raise transport_error(exc) from exc
                if response.is_error:
                    raise error_from_response(response)
        return response

    async def send(self, call: Call[T]) -> T:
        return _parse(call, await self._response(call), self.config.endpoint)

    async def page(self, call: Call[T]) -> tuple[T, str | None]:
        response = await self._response(call)
        return _parse(call, response, self.config.endpoint), _next_page(response)

    async def run(self, flow: Flow[T]) -> T:
        runner = _AsyncFlowRunner(self, flow)
        async for item in runner:
            raise TypeError(f"flow emitted {item!r} where no items were expected")
        return runner.result

    def iterate(self, flow: Flow[Any]) -> AsyncIterator[Any]:
        return _AsyncFlowRunner(self, flow).__aiter__()

    async def open_stream(self, call: Call[Any]) -> _AsyncStream:
        call = await self._resolve(call)
        client = httpx.AsyncClient(
            **client_options(self.config),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
            verify=self._ssl,
        )
        request = client.build_request(
            call.method, call.url_path, timeout=_stream_timeout(self.config), **_request_kwargs(call)
        )
        request.headers["accept"] = "text/event-stream"
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError as exc:
            await client.aclose()
            raise transport_error(exc) from exc
        if response.is_error:
            await response.aread()
            await response.aclose()
            await client.aclose()
            raise error_from_response(response)
        return _AsyncStream(response, client)


class _AsyncStream:
    """Reads one SSE response in a task so the consumer can wait with a timeout."""

    def __init__(self, response: httpx.Response, client: httpx.AsyncClient) -> None:
        self._response = response
        self._client = client
        self._queue: asyncio.Queue[Any] = asyncio.Queue(_QUEUE_SIZE)
        self._getter: asyncio.Future[Any] | None = None
        self._task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            async for event in EventSource(self._response).aiter_sse():
                await self._queue.put(event)
            await self._queue.put(Ended())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any read failure ends this connection; the flow decides what next
            await self._queue.put(Ended(exc))

    async def next(self, timeout: float) -> Any:
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
        if self._getter is not None:
            self._getter.cancel()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        await self._response.aclose()
        await self._client.aclose()


class _AsyncFlowRunner:
    def __init__(self, transport: AsyncTransport, flow: Flow[Any]) -> None:
        self._transport = transport
        self._flow = flow
        self._stream: _AsyncStream | None = None
        self.result: Any = None

    async def __aiter__(self) -> AsyncIterator[Any]:
        value: Any = None
        error: BaseException | None = None
        try:
            while True:
                try:
                    step: Step = self._flow.throw(error) if error else self._flow.send(value)
                except StopIteration as stop:
                    self.result = stop.value
                    return
                value, error = None, None
                if isinstance(step, Emit):
                    yield step.item
                    value = (None, time.monotonic())
                    continue
                try:
                    value = (await self._perform(step), time.monotonic())
                except HubError as exc:
                    error = exc
        finally:
            await self._close_stream()
            self._flow.close()

    async def _perform(self, step: Step) -> Any:
        transport = self._transport
        if isinstance(step, Send):
            return await transport.send(step.call)
        if isinstance(step, Page):
            return await transport.page(step.call)
        if isinstance(step, Open):
            await self._close_stream()
            self._stream = await transport.open_stream(step.call)
            return None
        if isinstance(step, Next):
            return await self._stream.next(step.timeout) if self._stream else Ended()
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            return None
        if isinstance(step, Now):
            return None
        raise TypeError(f"unknown step {step!r}")

    async def _close_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.aclose()
