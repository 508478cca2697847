"""What carries the log streams' HTTP under ``httpx``: aiohttp for the async streams, httpx's own for the sync.

A triggerer holds a thousand log streams open on one event loop. Under httpx's own transport each
open stream is ~145 objects for every garbage collection to walk (httpx, httpcore, h11 and anyio:
seven async generators deep) and each network read costs the loop that whole stack; aiohttp parses
in C and hands a read over without generator layers: ~85 objects an open stream and about a third
of the CPU a read (README "Performance"). httpx still builds every request and reads every answer
(headers, auth, redirects, cookies), so nothing above the transport changes. Where the environment
sends the Hub's requests through a proxy, streams keep httpx's own transport, proxy and all: httpx
reads the environment's proxies only when it picks the transport itself (``allow_env_proxies``,
httpx/_client.py). The calls (creates among them) stay on httpx's own
transport: whether a failed request was sent decides whether it may be sent again
(``retry.resend_is_safe``), and that is read from httpx's errors. No Airflow imports here.
"""

from __future__ import annotations

import ssl
import urllib.request
from urllib.parse import urlsplit

import httpx

from airflow_provider_hfhub.hub._transport_base import STREAMS_PER_CLIENT


def async_stream_transport(ssl_context: ssl.SSLContext, endpoint: str) -> httpx.AsyncBaseTransport | None:
    """The transport of one async stream client: aiohttp (STREAMS_PER_CLIENT connections at most), or
    None (httpx's own) when a proxy from the environment serves ``endpoint``."""
    if _proxied(endpoint):
        return None
    # Imported here: the sync client (workers, DAG parsing) never loads aiohttp.
    from airflow_provider_hfhub.hub._aiohttp_transport import AiohttpStreamTransport

    return AiohttpStreamTransport(ssl_context, STREAMS_PER_CLIENT)


def sync_stream_transport(ssl_context: ssl.SSLContext, endpoint: str) -> httpx.BaseTransport | None:
    """None: a sync stream has a thread of its own, and httpx's transport serves it (``_streams``)."""
    return None


def _proxied(endpoint: str) -> bool:
    # The environment as the standard library reads it, which is where httpx reads it too
    # (get_environment_proxies, httpx/_utils.py).
    url = urlsplit(endpoint)
    proxies = urllib.request.getproxies()
    return bool(proxies.get(url.scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(
        url.hostname or ""
    )
