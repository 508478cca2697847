"""The Starlette app: the Hub-wide middleware (request id, request log, faults, auth) and routes.

Admin routes live under ``/_fake/`` and are neither authenticated, logged nor faulted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import api_admin, api_jobs, api_spaces, ratelimit
from .faults import Fault, pick, stream_send
from .http import HttpError, error, handle_http_error
from .state import Settings
from .store import Store

INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
# Listing hardware works without a token on the Hub.
PUBLIC_PATHS = ("/api/jobs/hardware", "/api/spaces/hardware")


class OpenStreams:
    """Track the event streams being served, so a test can see that a client closed its connection.

    A stream counts from its response start until the app returns, which it does as soon as the
    client disconnects (Starlette listens for the disconnect while streaming).
    """

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store
        self._serials = itertools.count()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_fake"):
            await self.app(scope, receive, send)
            return
        serial, streams = next(self._serials), self.store.open_streams

        async def tracking(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_event_stream(message):
                streams[serial] = {"method": scope["method"], "path": scope["path"]}
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        finally:
            streams.pop(serial, None)


def _is_event_stream(message: Message) -> bool:
    return any(
        k.lower() == b"content-type" and v.startswith(b"text/event-stream") for k, v in message["headers"]
    )


class HubMiddleware:
    """Apply what every Hub request goes through, in the Hub's order."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        trace = headers.get("x-request-id") or headers.get("x-amzn-trace-id")
        # Shaped like the Hub's ``Root=1-<hex>-<hex>;<client trace id>``.
        request_id = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}" + (f";{trace}" if trace else "")
        send = _with_headers(send, request_id.encode())
        path: str = scope["path"]
        if path.startswith("/_fake/") or path == "/_fake":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        receive = _replay(body, receive)
        auth_ok = headers.get("authorization") == f"Bearer {self.store.settings.token}"
        self._record(scope, headers, body, auth_ok)
        settings = self.store.settings
        if settings.rate_limit_quota is not None:
            quota, window = settings.rate_limit_quota, settings.rate_limit_window
            remaining, resets_in = self.store.rate_window.take(quota, window, ratelimit.now())
            budget = ratelimit.headers(remaining, resets_in, quota, window)
            if remaining < 0:
                await ratelimit.send_throttled(send, budget, resets_in)
                return
            send = ratelimit.with_budget(send, budget)
        faults = {f.kind: f for f in pick(self.store.faults, scope["method"], path)}

        slow = faults.get("slow")
        if slow and slow.when == "before":
            await asyncio.sleep(slow.seconds)
        status, reset = faults.get("status"), faults.get("reset")
        if reset and reset.when == "before":
            await self._reset(scope)
            return
        if status and status.when == "before":
            await _send_fault(send, status, request_id)
            return
        for kind in ("drop_stream", "stall_stream", "malformed_event"):
            if kind in faults:
                send = stream_send(send, faults[kind])
        if slow and slow.when == "after":
            send = _delayed_start(send, slow.seconds)
        if status or reset:  # when == "after": do the work, lose the answer
            await self._guarded(scope, receive, _swallow, path, auth_ok)
            if reset:
                await self._reset(scope)
            elif status:
                await _send_fault(send, status, request_id)
            return
        await self._guarded(scope, receive, send, path, auth_ok)

    async def _reset(self, scope: Scope) -> None:
        if self.store.reset_connection is None:
            raise RuntimeError("the reset fault needs the fake Hub's own server (start_fake_hub or the CLI)")
        self.store.reset_connection(scope)
        # Let the server see the connection go before this request returns, so it does not try
        # to answer it with a 500.
        for _ in range(2):
            await asyncio.sleep(0)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, path: str, auth_ok: bool) -> None:
        if not auth_ok and path.startswith("/api/") and path not in PUBLIC_PATHS:
            code = "RepoNotFound" if path.startswith("/api/spaces/") else None
            await error(401, INVALID_CREDENTIALS, code)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _record(self, scope: Scope, headers: dict[str, str], body: bytes, auth_ok: bool) -> None:
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        logged = {k: v for k, v in headers.items() if k != "authorization"}
        self.store.requests.append(
            {
                "time": time.time(),
                "method": scope["method"],
                "path": scope["path"],
                "query": [list(p) for p in parse_qsl(scope["query_string"].decode(), keep_blank_values=True)],
                "json": parsed,
                "headers": logged,
                "auth_ok": auth_ok,
            }
        )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    done = False

    async def replay() -> Message:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then wait for the disconnect, as Starlette expects

    return replay


def _with_headers(send: Send, request_id: bytes) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            # Our own exact Date: uvicorn's refreshes once a second, and the client's no-follow log
            # read stops at the first event later than Date + 1 s, so a stale Date loses lines.
            date = formatdate(usegmt=True).encode()
            extra = [(b"x-request-id", request_id), (b"date", date)]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def _delayed_start(send: Send, seconds: float) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
        await send(message)

    return wrapped


async def _swallow(message: Message) -> None:
    return None


async def _send_fault(send: Send, fault: Fault, request_id: str) -> None:
    status, headers, body = fault.response_parts(request_id)
    # The outer wrapper adds its own X-Request-Id; do not send it twice.
    headers = [h for h in headers if h[0] != b"x-request-id"]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def create_app(settings: Settings | None = None, store: Store | None = None) -> Starlette:
    """Build the fake Hub app; ``app.state.store`` holds all of its state."""
    store = store or Store(settings)
    routes = [*api_admin.routes(store), *api_jobs.routes(store), *api_spaces.routes(store)]
    app = Starlette(routes=routes, exception_handlers={HttpError: handle_http_error})
    app.state.store = store
    app.add_middleware(OpenStreams, store=store)  # inside HubMiddleware: sees what the client gets
    app.add_middleware(HubMiddleware, store=store)
    return app
