"""What the two transports share, free of I/O: client options, request arguments, parsing, the namespace.

No Airflow imports here.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import httpx

from airflow_provider_hfhub.hub.calls import Call
from airflow_provider_hfhub.hub.config import HubConfig
from airflow_provider_hfhub.hub.errors import HubError, HubResponseError

T = TypeVar("T")
C = TypeVar("C", httpx.Client, httpx.AsyncClient)

# A triggerer follows hundreds of Jobs on one loop, and 1,000 Jobs ending together need 1,000
# outcome inspects within seconds. httpcore's pool walks every connection it holds on every request
# and every answer, polling the socket of each idle one and counting the idle ones once per idle
# connection (``AsyncConnectionPool._assign_requests_to_connections``, httpcore 1.0.9): with 100
# connections a call cost ~2.5 ms of CPU here, ~1.5 ms with a few. Calls therefore go through
# CALL_SHARDS small clients (made when first needed), each with at most CALLS_PER_SHARD calls in
# flight so that its pool never queues. How many in flight was measured (benchmarks.fleet, 1,000
# Jobs ending within 2 s, detection p50 / p99): one pool of 100, 1.6 / 2.6-3.1 s; 96 in 8 pools,
# 1.4-1.5 / 2.0-2.1 s; 32 in 4, 0.7-1.1 / 1.1-1.3 s; 16 in 2, 0.5-0.8 / 0.8-1.0 s: beyond what keeps
# the loop busy, more calls at once only make each one wait longer. 16 keep ~300 calls a second
# going to a Hub 50 ms away. (Measured on httpx's own transport; the async clients now send through
# aiohttp, _transports.py, with the same sizes.)
CALL_SHARDS = 2
CALLS_PER_SHARD = 8
MAX_CONCURRENT_CALLS = CALL_SHARDS * CALLS_PER_SHARD
CALL_LIMITS = httpx.Limits(max_connections=CALLS_PER_SHARD, max_keepalive_connections=CALLS_PER_SHARD)
# Log streams hold their connection for a Job's whole life, so they get clients apart from the
# calls', as many as needed with STREAMS_PER_CLIENT streams each, and no idle connections (a
# stream's connection closes with it). A client per stream cost 18 more objects for the garbage
# collector to walk per followed Job (302 against 284, gc.get_objects() over 200 Jobs; README
# "Performance"); one client for all would walk a thousand connections at each stream's opening
# and end (see above).
STREAMS_PER_CLIENT = 32
STREAM_LIMITS = httpx.Limits(max_connections=STREAMS_PER_CLIENT, max_keepalive_connections=0)
# A triggerer that starts with 1,000 Job triggers (a restart) would otherwise open their 1,000 log
# streams in the same few loop iterations: iterations of 0.8-1.4 s with 1,000-3,000 ready callbacks
# were measured (benchmarks.fleet, README "Performance"). Opening in waves keeps each iteration short;
# the Hub replays each log from its start, so a stream opened a moment later loses no line.
MAX_OPENING_STREAMS = 32


def client_options(config: HubConfig) -> dict[str, Any]:
    """Options shared by every ``httpx`` client the transports make, sync or async."""
    headers = {"user-agent": config.user_agent or "airflow-provider-hfhub"}
    if config.token:
        headers["authorization"] = f"Bearer {config.token}"
    return {
        "base_url": config.endpoint,
        "headers": headers,
        "timeout": httpx.Timeout(config.timeout),
        "follow_redirects": True,
    }


def request_kwargs(call: Call[Any]) -> dict[str, Any]:
    """The ``request`` / ``build_request`` arguments of a call, with a fresh trace id."""
    kwargs: dict[str, Any] = {"headers": {"x-amzn-trace-id": str(uuid.uuid4())}}
    if call.params:
        kwargs["params"] = list(call.params)
    if call.json is not None:
        kwargs["json"] = call.json
    return kwargs


def stream_request(
    client: httpx.Client | httpx.AsyncClient, call: Call[Any], config: HubConfig
) -> httpx.Request:
    """The request opening an SSE stream; its read timeout is the stream policy's, not the calls'."""
    timeout = httpx.Timeout(config.timeout, read=config.stream.read_timeout)
    request = client.build_request(call.method, call.url_path, timeout=timeout, **request_kwargs(call))
    request.headers["accept"] = "text/event-stream"
    return request


def parse(call: Call[T], response: httpx.Response, endpoint: str) -> T:
    """The call's parsed answer; a body that does not parse is a :class:`HubResponseError`."""
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


def next_page(response: httpx.Response) -> str | None:
    """The URL of the next page from the ``Link: <...>; rel="next"`` header, if any."""
    return response.links.get("next", {}).get("url")


class Namespace:
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


class ClientShards(Generic[C]):
    """Clients made when first needed, each with at most ``per_client`` requests on it at once.

    A request takes the first client with room, so a quiet transport uses one client and its
    kept-alive connections.

    :param make: makes one client.
    :param per_client: requests one client takes at once (its pool's size).
    :param most: how many clients at most (None: as many as needed). Callers keep the requests in
        flight under ``most * per_client`` (CALL_SHARDS); past it, the least busy client is taken.
    :param given: the one client to use instead (tests, a caller's own pool).
    """

    def __init__(
        self, make: Callable[[], C], per_client: int, most: int | None, given: C | None = None
    ) -> None:
        self._make: Callable[[], C] = make
        self._per_client = per_client
        self._most = 1 if given is not None else most
        self._clients: list[C] = [given] if given is not None else []
        self._in_flight: list[int] = [0] * len(self._clients)
        self._lock = threading.Lock()  # the sync transport's threads share the clients; never held across I/O

    def take(self) -> C:
        """A client for one request, to be given back with :meth:`give_back` when it is done."""
        with self._lock:
            shard = next((i for i, n in enumerate(self._in_flight) if n < self._per_client), None)
            if shard is None and (self._most is None or len(self._clients) < self._most):
                self._clients.append(self._make())
                self._in_flight.append(0)
                shard = len(self._clients) - 1
            if shard is None:
                shard = self._in_flight.index(min(self._in_flight))
            self._in_flight[shard] += 1
            return self._clients[shard]

    def give_back(self, client: C) -> None:
        with self._lock:
            self._in_flight[next(i for i, c in enumerate(self._clients) if c is client)] -= 1

    @contextlib.contextmanager
    def taken(self) -> Iterator[C]:
        """A client for the length of a ``with`` block."""
        client = self.take()
        try:
            yield client
        finally:
            self.give_back(client)

    def made(self) -> list[C]:
        return list(self._clients)
