"""The async transport; ``_sync_transport.py`` is generated from this file by ``scripts/unasync.py``.

With its generated twin, the only code that sends requests, opens streams or sleeps (the stream
readers are in ``_streams``). No Airflow imports here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
import tenacity

from airflow_provider_hfhub.hub import flows
from airflow_provider_hfhub.hub._streams import AsyncStream
from airflow_provider_hfhub.hub._transport_base import (
    CALL_LIMITS,
    CALL_SHARDS,
    CALLS_PER_SHARD,
    MAX_CONCURRENT_CALLS,
    MAX_OPENING_STREAMS,
    STREAM_LIMITS,
    STREAMS_PER_CLIENT,
    ClientShards,
    Namespace,
    client_options,
    next_page,
    parse,
    request_kwargs,
    stream_request,
)
from airflow_provider_hfhub.hub._transports import ASYNC_CREATES_APART, async_transport_for
from airflow_provider_hfhub.hub.calls import Call, whoami
from airflow_provider_hfhub.hub.config import HubConfig
from airflow_provider_hfhub.hub.errors import (
    HubError,
    error_from_response,
    retry_after_seconds,
    transport_error,
)
from airflow_provider_hfhub.hub.flows import (
    CheckStage,
    Emit,
    Ended,
    Flow,
    Next,
    Now,
    Open,
    Page,
    Send,
    SendOnce,
    Sleep,
    Step,
    create,
)
from airflow_provider_hfhub.hub.ratelimit import RateBudget
from airflow_provider_hfhub.hub.retry import retry_kwargs

T = TypeVar("T")


class AsyncTransport:
    """Sends calls with the retry policy (creates through ``flows.create``), opens log streams and runs flows.

    :param config: endpoint, token, default namespace, timeouts, retry and stream policies.
    :param client: the ``httpx`` client for every call; small ones are made otherwise (see
        CALL_SHARDS). Log streams go through clients of their own (see STREAMS_PER_CLIENT).
    """

    def __init__(self, config: HubConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._ssl = httpx.create_ssl_context()  # made once: building one per client is costly
        self._shards = ClientShards(
            lambda: self._new_client(CALL_LIMITS), CALLS_PER_SHARD, CALL_SHARDS, client
        )
        self._create_shards = (
            ClientShards(lambda: self._new_client(CALL_LIMITS, for_creates=True), CALLS_PER_SHARD, 1, client)
            if ASYNC_CREATES_APART
            else self._shards
        )
        self._stream_clients = ClientShards(lambda: self._new_client(STREAM_LIMITS), STREAMS_PER_CLIENT, None)
        # At most MAX_CONCURRENT_CALLS calls in flight, so some shard always has room (see CALL_LIMITS);
        # the generated sync form gates the threads sharing the clients with a bounded semaphore.
        self._calls = asyncio.Semaphore(MAX_CONCURRENT_CALLS)
        self._opening = asyncio.Semaphore(MAX_OPENING_STREAMS)  # streams being opened, until their headers
        self._namespace = Namespace(config.namespace)
        self._namespace_lock = asyncio.Lock()
        self._retrying = tenacity.AsyncRetrying(**retry_kwargs(config.retry))
        self.budget = RateBudget()  # what the Hub's RateLimit headers said last

    async def aclose(self) -> None:
        for client in {*self._shards.made(), *self._create_shards.made(), *self._stream_clients.made()}:
            await client.aclose()

    async def _send_on_a_shard(self, call: Call[Any]) -> httpx.Response:
        with (self._create_shards if call.creates else self._shards).taken() as client:
            return await client.request(call.method, call.url_path, **request_kwargs(call))

    def _new_client(self, limits: httpx.Limits, for_creates: bool = False) -> httpx.AsyncClient:
        # Creates keep httpx's own transport: its errors say whether a failed one may be resent.
        transport = None if for_creates else async_transport_for(self._ssl, self.config.endpoint, limits)
        return httpx.AsyncClient(
            **client_options(self.config), limits=limits, verify=self._ssl, transport=transport
        )

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

    async def _request(self, call: Call[Any]) -> httpx.Response:
        """Send a resolved call once; an error status or a transport failure raises a :class:`HubError`."""
        try:
            async with self._calls:
                response = await self._send_on_a_shard(call)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        retry_after = retry_after_seconds(response.headers) if response.status_code == 429 else None
        self.budget.observe(response.status_code, response.headers, time.monotonic(), retry_after)
        if response.is_error:
            raise error_from_response(response)
        return response

    async def _response(self, call: Call[Any]) -> httpx.Response:
        call = await self._resolve(call)
        async for attempt in self._retrying.copy():
            with attempt:
                response = await self._request(call)
        return response

    async def send(self, call: Call[T]) -> T:
        """Send a call with the retry policy; a create runs ``flows.create`` instead (never resent blind).

        A create's namespace is resolved first, so a failed ``whoami`` is one round of the policy
        and never taken for a create that may have landed.
        """
        if call.creates:
            return await self.run(create(await self._resolve(call), self.config.retry))
        return parse(call, await self._response(call), self.config.endpoint)

    async def send_once(self, call: Call[T]) -> T:
        """Send a call once, without the retry policy (``flows.create`` decides what follows)."""
        return parse(call, await self._request(await self._resolve(call)), self.config.endpoint)

    async def page(self, call: Call[T]) -> tuple[T, str | None]:
        response = await self._response(call)
        return parse(call, response, self.config.endpoint), next_page(response)

    async def run(self, flow: Flow[T]) -> T:
        """Run a flow that emits nothing and return what it returns."""
        runner = _AsyncFlowRunner(self, flow)
        async for item in runner:
            raise TypeError(f"flow emitted {item!r} where no items were expected")
        return runner.result

    def iterate(self, flow: Flow[Any], stages: flows.AsyncStageSource | None = None) -> AsyncIterator[Any]:
        """Run a flow, yielding what it emits; ``stages`` answers its :class:`CheckStage` steps."""
        return _AsyncFlowRunner(self, flow, stages).__aiter__()

    async def open_stream(self, call: Call[Any]) -> AsyncStream:
        """Open an SSE stream on a stream client (see STREAMS_PER_CLIENT); the Hub's error status raises."""
        call = await self._resolve(call)
        async with self._opening:
            client = self._stream_clients.take()
            try:
                response = await _send_stream_request(client, stream_request(client, call, self.config))
            except BaseException:  # a cancellation too: the stream's room on the client is freed
                self._stream_clients.give_back(client)
                raise
        return AsyncStream(response, lambda: self._stream_clients.give_back(client))


async def _send_stream_request(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    try:
        response = await client.send(request, stream=True)
    except httpx.TransportError as exc:
        raise transport_error(exc) from exc
    if response.is_error:
        await response.aread()
        await response.aclose()
        raise error_from_response(response)
    return response


class _AsyncFlowRunner:
    """Performs the steps a flow yields and answers each with ``(result, now)``.

    ``now`` is ``time.monotonic()`` read right after the step (for :class:`Emit`, once the consumer
    has taken the item). A :class:`HubError` from a step is thrown into the flow instead. What the
    flow returns is kept in ``result``; its open stream is closed however the run ends. A
    :class:`CheckStage` goes to ``stages`` when given (a shared poller), else it is sent.
    """

    def __init__(
        self, transport: AsyncTransport, flow: Flow[Any], stages: flows.AsyncStageSource | None = None
    ) -> None:
        self._transport = transport
        self._flow = flow
        self._stages = stages
        self._stream: AsyncStream | None = None
        self.result: Any = None

    async def __aiter__(self) -> AsyncIterator[Any]:
        answer: tuple[Any, float] | None = None  # a generator is started by sending None
        error: HubError | None = None
        try:
            while True:
                try:
                    step: Step = self._flow.send(answer) if error is None else self._flow.throw(error)
                except StopIteration as stop:
                    self.result = stop.value
                    return
                error = None
                if isinstance(step, Emit):
                    yield step.item  # resumes when the consumer asks for the next item
                    answer = (None, time.monotonic())
                    continue
                try:
                    result = await self._perform(step)
                except HubError as exc:
                    error = exc
                    continue
                answer = (result, time.monotonic())
        finally:
            await self._close_stream()
            self._flow.close()

    async def _perform(self, step: Step) -> Any:
        transport = self._transport
        if isinstance(step, CheckStage):
            if self._stages is not None:
                return await self._stages(step.prompt, step.at)
            if step.at is not None and (wait := step.at - time.monotonic()) > 0:
                await asyncio.sleep(wait)
        if isinstance(step, Send):
            return await transport.send(step.call)
        if isinstance(step, SendOnce):
            return await transport.send_once(step.call)
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
