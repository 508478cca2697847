"""httpx-aiohttp's transport, fitted to the Hub clients (see ``_transports``)."""

from __future__ import annotations

import atexit
import ssl
import weakref

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

_sessions: weakref.WeakSet[aiohttp.ClientSession] = weakref.WeakSet()


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
            force_close = limits.max_keepalive_connections == 0
            connector = aiohttp.TCPConnector(
                limit=limits.max_connections or 0,
                ssl=ssl_context,
                force_close=force_close,
                keepalive_timeout=None if force_close else limits.keepalive_expiry,
            )
            opened = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
            _sessions.add(opened)
            return opened

        super().__init__(verify=ssl_context, client=session)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc


@atexit.register
def _let_go() -> None:
    """Drop the sessions nobody closed, quietly.

    A shared client lives as long as its event loop and is never closed (hooks/hfhub.py): the
    triggerer's, until the process exits. Its connections then end with the process, as those of
    httpx's own pool do, instead of aiohttp logging "Unclosed client session" and "Unclosed
    connector" errors at every triggerer's exit. The connector's synchronous close is the first
    step of its ``close()`` (aiohttp/connector.py), which cannot be awaited once the loop is gone.
    """
    for session in list(_sessions):
        connector = session.connector
        session.detach()
        if connector is not None:
            connector._close()
