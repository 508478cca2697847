"""What the two transports share, free of I/O: client options, request arguments, parsing, the namespace.

No Airflow imports here.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import httpx

from airflow_provider_hfhub.hub.calls import Call
from airflow_provider_hfhub.hub.config import HubConfig
from airflow_provider_hfhub.hub.errors import HubError, HubResponseError

T = TypeVar("T")

# A triggerer follows hundreds of Jobs on one loop: calls share one pool, gated so the pool never
# holds a long queue (httpx rescans its whole queue on every request), while each log stream, which
# holds its connection for the Job's whole life, gets a connection of its own outside that pool.
MAX_CONCURRENT_CALLS = 100
CALL_LIMITS = httpx.Limits(
    max_connections=MAX_CONCURRENT_CALLS, max_keepalive_connections=MAX_CONCURRENT_CALLS
)
STREAM_LIMITS = httpx.Limits(max_connections=1, max_keepalive_connections=0)
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
