"""What carries the async clients' HTTP under ``httpx``: aiohttp, but for creates and proxies.

A triggerer holds a thousand log streams open on one event loop and, when they end together, asks
the Hub about a thousand Jobs within seconds. Under httpx's own transport each open stream is ~145
objects for every garbage collection to walk (httpx, httpcore, h11 and anyio: seven async
generators deep), each network read costs the loop that whole stack, and a call ~2 ms of CPU;
aiohttp parses in C and hands a read over without generator layers: ~85 objects an open stream,
a third to two thirds of the CPU a read, and ~0.6 ms a call (README "Performance"). httpx still
builds every request and reads every answer (headers, auth, redirects, cookies), so nothing above
the transport changes.

Two kinds of request keep httpx's own transport. A request that creates paid work (``Call.creates``):
whether it was sent when it failed decides whether it may be sent again (``retry.resend_is_safe``),
and that is read from httpx's errors. And every request where the environment names a proxy for the
Hub: httpx reads the environment's proxies only when it picks the transport itself
(``allow_env_proxies``, httpx/_client.py). The sync clients keep httpx's transport throughout: their
streams each have a thread (``_streams``), their calls are a worker's few. No Airflow imports here.
"""

from __future__ import annotations

import ssl
import urllib.request
from urllib.parse import urlsplit

import httpx

# Whether creates need clients of their own: only where the calls' clients are not httpx's own transport.
ASYNC_CREATES_APART = True
SYNC_CREATES_APART = False


def async_transport_for(
    ssl_context: ssl.SSLContext, endpoint: str, limits: httpx.Limits
) -> httpx.AsyncBaseTransport | None:
    """aiohttp within ``limits``, or None (httpx's own) when a proxy from the environment serves ``endpoint``."""
    if _proxied(endpoint):
        return None
    # Imported here: the sync client (workers, DAG parsing) never loads aiohttp.
    from airflow_provider_hfhub.hub._aiohttp_transport import AiohttpHubTransport

    return AiohttpHubTransport(ssl_context, limits)


def sync_transport_for(
    ssl_context: ssl.SSLContext, endpoint: str, limits: httpx.Limits
) -> httpx.BaseTransport | None:
    """None: httpx's own transport (see the module's docstring)."""
    return None


def _proxied(endpoint: str) -> bool:
    # The environment as the standard library reads it, which is where httpx reads it too
    # (get_environment_proxies, httpx/_utils.py).
    url = urlsplit(endpoint)
    proxies = urllib.request.getproxies()
    return bool(proxies.get(url.scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(
        url.hostname or ""
    )
