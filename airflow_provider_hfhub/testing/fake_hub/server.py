"""Serve the fake Hub with uvicorn: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import threading
from collections.abc import MutableMapping
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from .admin import FakeHub
from .app import create_app
from .faults import StreamDropped
from .state import Settings
from .store import Store


class _HideDroppedStreams(logging.Filter):
    """Silence uvicorn's traceback for streams we drop on purpose (the ``drop_stream`` fault)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        seen = 0
        while exc is not None and seen < 10:
            if isinstance(exc, StreamDropped):
                return False
            inner = getattr(exc, "exceptions", None)
            exc = inner[0] if inner else (exc.__cause__ or exc.__context__)
            seen += 1
        return True


class FakeHubServer(uvicorn.Server):
    """A uvicorn server that ends the fake's streams, tasks and processes when asked to stop."""

    def __init__(
        self, store: Store, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
    ) -> None:
        config = uvicorn.Config(
            create_app(store=store),
            host=host,
            port=port,
            lifespan="off",
            log_level=log_level,
            access_log=False,
            timeout_graceful_shutdown=2,
            date_header=False,
            loop="asyncio",
            http="h11",
        )
        super().__init__(config)
        self.store = store
        store.reset_connection = self._reset_connection
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ready = threading.Event()
        logging.getLogger("uvicorn.error").addFilter(_HideDroppedStreams())

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets)
        self.ready.set()

    def _reset_connection(self, scope: MutableMapping[str, Any]) -> None:
        """Abort the connection serving ``scope`` with a TCP RST (SO_LINGER 0), no answer sent."""
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            if cycle is not None and cycle.scope is scope:
                transport = connection.transport
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
                return
        raise RuntimeError("no open connection carries this request")

    def request_stop(self) -> None:
        """Stop from any thread: end open streams first so the graceful shutdown is quick."""
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.loop.call_soon_threadsafe(self.store.shutdown)
        self.should_exit = True

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Unlike uvicorn's own handler we do not re-raise the signal afterwards: exit code 0.
        if self.should_exit:
            self.force_exit = True
        self.request_stop()


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before serving so that port 0 resolves to a known free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every answer on a kept-alive connection waits ~40 ms for delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # listen now, so a client that read the printed URL is queued, not refused
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class RunningFakeHub:
    """A fake Hub served from a background thread; ``.hub`` drives it, ``.stop()`` ends it."""

    def __init__(self, server: FakeHubServer, thread: threading.Thread, url: str) -> None:
        self.server = server
        self.thread = thread
        self.url = url
        settings = server.store.settings
        self.hub = FakeHub(url, token=settings.token, user=settings.user)

    @property
    def store(self) -> Store:
        """The live state (touch it only from the server's loop, e.g. in read-only asserts)."""
        return self.server.store

    def stop(self, timeout: float = 10.0) -> None:
        self.server.request_stop()
        self.thread.join(timeout)
        self.hub.close()

    def __enter__(self) -> RunningFakeHub:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_fake_hub(host: str = "127.0.0.1", port: int = 0, **settings: Any) -> RunningFakeHub:
    """Start a fake Hub in a background thread and return once it accepts connections.

    :param settings: initial :class:`Settings` (``user``, ``token``, ``orgs``, ``stage_lag``,
        ``keepalive_interval``, ``metrics_interval``, ``page_size``); ``reset()`` returns to them.
    """
    cfg = Settings()
    cfg.update(settings)
    server = FakeHubServer(Store(cfg), host, port)
    sock = bind_socket(host, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-hub", daemon=True)
    thread.start()
    if not server.ready.wait(15):
        server.request_stop()
        raise RuntimeError("fake Hub did not start within 15 s")
    return RunningFakeHub(server, thread, base_url(sock))
