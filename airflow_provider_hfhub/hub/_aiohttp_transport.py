"""httpx-aiohttp's transport, fitted to the Hub clients (see ``_transports``)."""

from __future__ import annotations

import ssl

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


class AiohttpHubTransport(AiohttpTransport):
    """An ``httpx`` transport on an aiohttp session of its own.

    ``limits`` mean what they mean to httpx: connections at most, and with
    ``max_keepalive_connections=0`` (the log streams') a connection closes with its answer instead of
    waiting for another request. Cookies stay httpx's to keep, and an aiohttp error that
    httpx-aiohttp leaves as it is becomes an ``httpx`` one, which the transports turn into a
    :class:`~airflow_provider_hfhub.hub.errors.HubTransportError` like any other.

    :param ssl_context: made once per transport (building one is costly).
    :param limits: connections at most, kept alive or not, and for how long.
    """

    def __init__(self, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        def session() -> aiohttp.ClientSession:
            connector = aiohttp.TCPConnector(
                limit=limits.max_connections or 0,
                ssl=ssl_context,
                force_close=limits.max_keepalive_connections == 0,
                keepalive_timeout=limits.keepalive_expiry if limits.max_keepalive_connections != 0 else None,
            )
            return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

        super().__init__(verify=ssl_context, client=session)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc
