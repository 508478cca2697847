"""The async clients' transport (aiohttp under httpx, httpx's own for creates and proxies), over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import psutil
import pytest

from airflow_provider_hfhub.hub import AsyncHubClient, RetryPolicy, calls
from airflow_provider_hfhub.hub.errors import HubError, HubTransportError
from airflow_provider_hfhub.hub.transport import AsyncTransport
from airflow_provider_hfhub.testing import FakeHub

from .conftest import config_for


def _connections_to(url: str) -> int:
    port = urlsplit(url).port
    return sum(
        1
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    )


async def test_a_log_stream_that_ends_closes_its_connection(fake_hub: FakeHub) -> None:
    # aiohttp would keep the connection of a finished answer for another request; a stream's
    # connection is worth nothing after it (a Job's log is read once), so it closes with it.
    fake_hub.add_job_scenario("short", lines=["one", "two"])
    async with AsyncHubClient(config_for(fake_hub)) as client:
        job = await client.run_job(image="python:3.12", command=["t"], labels={"fake-scenario": "short"})
        calls_only = _connections_to(fake_hub.url)  # the calls' kept-alive connection
        lines = [line.text async for line in client.fetch_job_logs(job_id=job.id, follow=True)]
        assert lines == ["one", "two"]
        assert _connections_to(fake_hub.url) == calls_only


@contextlib.asynccontextmanager
async def answering(reply: bytes) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A loopback server that answers every request with ``reply``: its URL, and the request lines it saw."""
    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[0])
        writer.write(reply)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", seen
    finally:
        server.close()
        await server.wait_closed()


async def test_an_answer_that_is_not_http_is_a_hub_transport_error(fake_hub: FakeHub) -> None:
    # The stream flow reconnects after a HubTransportError; any other exception would end the trigger.
    async with answering(b"SSH-2.0-OpenSSH_9.6\r\n\r\n") as (not_http, _):
        transport = AsyncTransport(config_for(fake_hub, endpoint=not_http, namespace="someone"))
        try:
            with pytest.raises(HubTransportError, match="did not complete"):
                await transport.open_stream(calls.job_logs("0" * 24, namespace="someone"))
        finally:
            await transport.aclose()


async def test_calls_and_log_streams_go_through_the_proxy_the_environment_names(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiohttp under httpx would ignore HTTP_PROXY (httpx reads it only for its own transport): where a
    # proxy serves the Hub, the async clients keep httpx's transport. This proxy refuses (502) and records.
    refused = b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    async with answering(refused) as (proxy, seen):
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        transport = AsyncTransport(
            config_for(fake_hub, namespace=fake_hub.user, retry=RetryPolicy(max_attempts=1))
        )
        try:
            with pytest.raises(HubError):
                await transport.open_stream(calls.job_logs("0" * 24, namespace=fake_hub.user))
            with pytest.raises(HubError):
                await transport.send(calls.inspect_job("0" * 24, namespace=fake_hub.user))
        finally:
            await transport.aclose()
    job = f"{fake_hub.url}/api/jobs/{fake_hub.user}/{'0' * 24}"
    assert seen == [f"GET {job}/logs HTTP/1.1".encode(), f"GET {job} HTTP/1.1".encode()]


def test_workers_never_load_aiohttp(fake_hub: FakeHub) -> None:
    # Only the async clients use it; a worker or a DAG parse pays nothing for it.
    code = (
        "import sys\n"
        "from airflow_provider_hfhub.hub import HubClient, HubConfig\n"
        f"with HubClient(HubConfig(endpoint={fake_hub.url!r}, token={fake_hub.token!r})) as c:\n"
        "    c.whoami()\n"
        "assert 'aiohttp' not in sys.modules, 'aiohttp was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_client_left_open_at_exit_goes_quietly(fake_hub: FakeHub) -> None:
    # A shared client lives as long as its loop and is never closed (the triggerer's, until the
    # process exits): aiohttp would log "Unclosed client session" errors at every exit.
    fake_hub.add_job_scenario("short", lines=["one", "two"])
    code = (
        "import asyncio\n"
        "from airflow_provider_hfhub.hub import AsyncHubClient, HubConfig\n"
        "async def main():\n"
        f"    client = AsyncHubClient(HubConfig(endpoint={fake_hub.url!r}, token={fake_hub.token!r}))\n"
        "    job = await client.run_job(image='python:3.12', command=['t'], labels={'fake-scenario': 'short'})\n"
        "    print([line.text async for line in client.fetch_job_logs(job_id=job.id, follow=True)])\n"
        "    await client.whoami()  # leaves a kept-alive connection\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['one', 'two']"
    assert "Unclosed" not in done.stderr + done.stdout, done.stderr
