"""Each Space's own host (``https://<subdomain>.hf.space`` on the Hub), stood in for on loopback.

Every Space gets its own listening port on 127.0.0.1, opened when the Hub first names its host
(``host`` in the Space's info), so each Space is an origin of its own, apart from the Hub's: a
client that sends a token to the wrong host is seen doing it. The answers are plain HTTP/1.1
(h11, one request per connection): 503 while the Space does not run (the Hub's proxy answers so
while a Space builds *(inferred)*), 404 without the owner's token for a private Space, else the
Space scenario's ``app_status`` / ``app_body`` or a redirect to ``app_redirect``. Every request is
logged (``GET /_fake/space-requests``), with whether it carried an ``Authorization`` header.
With the setting ``space_hosts`` other than ``loopback`` (e.g. ``https://{subdomain}.hf.space``)
the Hub names that host instead and nothing listens.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import h11

from .repos import subdomain
from .state import now

if TYPE_CHECKING:
    from .spaces import Space
    from .store import Store

_SERVING = ("RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING")


class SpaceHosts:
    """The loopback servers standing in for the Spaces' hosts, by Space id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.servers: dict[str, tuple[asyncio.Server, str]] = {}
        self.requests: list[dict[str, Any]] = []

    async def url(self, space: Space) -> str:
        """The Space's host URL, as the Hub's ``host`` field gives it."""
        template = self.store.settings.space_hosts
        if template != "loopback":
            return template.format(subdomain=subdomain(space.repo_id))
        if space.repo_id not in self.servers:
            repo_id = space.repo_id

            async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                await self._serve(repo_id, reader, writer)

            server = await asyncio.start_server(serve, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            self.servers[repo_id] = (server, f"http://127.0.0.1:{port}")
        return self.servers[space.repo_id][1]

    def close(self) -> None:
        for server, _ in self.servers.values():
            server.close()
        self.servers.clear()
        self.requests.clear()

    async def _serve(self, repo_id: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        request: h11.Request | None = None
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    conn.receive_data(data)
                    if not data:
                        return
                elif isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    return
            assert request is not None
            status, headers, body = self._answer(repo_id, request)
            headers = [*headers, ("content-length", str(len(body))), ("connection", "close")]
            writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
            writer.write(conn.send(h11.Data(data=body)) or b"")
            writer.write(conn.send(h11.EndOfMessage()) or b"")
            await writer.drain()
        except (h11.RemoteProtocolError, ConnectionError):
            return
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, repo_id: str, request: h11.Request) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {k.decode().lower(): v.decode() for k, v in request.headers}
        auth = headers.get("authorization")
        self.requests.append(
            {
                "time": now(),
                "space": repo_id,
                "method": request.method.decode(),
                "path": request.target.decode(),
                "authorization": auth is not None,
            }
        )
        space = self.store.spaces.get(repo_id)
        if space is None:
            return 404, [], b"Space not found"
        if space.private and auth != f"Bearer {self.store.settings.token}":
            return 404, [], b"Space not found"
        if space.reported_stage() not in _SERVING:
            return 503, [], f"Space is {space.reported_stage()}".encode()
        scenario = space.scenario
        if scenario.app_redirect:
            return 302, [("location", scenario.app_redirect)], b""
        return scenario.app_status, [("content-type", "text/plain")], scenario.app_body.encode()
