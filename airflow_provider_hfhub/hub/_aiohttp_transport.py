"""httpx-aiohttp's transport, fitted to log streams (see ``_stream_transport``)."""

from __future__ import annotations

import ssl

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


class AiohttpStreamTransport(AiohttpTransport):
    """An ``httpx`` transport on an aiohttp session of its own.

    A stream's connection closes with it (never kept for another request, as with httpx's
    ``max_keepalive_connections=0``); cookies stay httpx's to keep; and an aiohttp error that
    httpx-aiohttp leaves as it is becomes an ``httpx`` one, which the transports turn into a
    :class:`~airflow_provider_hfhub.hub.errors.HubTransportError` like any other.

    :param ssl_context: made once per transport (building one is costly).
    :param most: connections at most.
    """

    def __init__(self, ssl_context: ssl.SSLContext, most: int) -> None:
        def session() -> aiohttp.ClientSession:
            connector = aiohttp.TCPConnector(limit=most, ssl=ssl_context, force_close=True)
            return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

        super().__init__(verify=ssl_context, client=session)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc
