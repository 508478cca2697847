"""Serve the fake Hub for the benchmarks: ``python -m benchmarks._fake_hub --stage-lag S``.

The same server, store and settings as ``python -m airflow_provider_hfhub.testing.fake_hub``
(first stdout line: the URL; SIGTERM stops it), with one difference that matters for timing: its
listening socket is created with ``proto=IPPROTO_TCP``. asyncio turns TCP_NODELAY on only for
sockets whose ``proto`` says TCP; the fake's ``bind_socket`` leaves it 0, so on a kept-alive
connection every answer (written as headers, then body) waits ~40 ms for the client's delayed ACK
(Nagle). The real Hub answers without that delay, so the benchmarks must too.
"""

from __future__ import annotations

import argparse
import socket
import sys

from airflow_provider_hfhub.testing.fake_hub.server import FakeHubServer, base_url
from airflow_provider_hfhub.testing.fake_hub.state import Settings
from airflow_provider_hfhub.testing.fake_hub.store import Store


def bind_tcp_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)  # a thousand followers connect at once
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._fake_hub")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stage-lag", type=float, default=Settings.stage_lag)
    parser.add_argument("--keepalive-interval", type=float, default=Settings.keepalive_interval)
    args = parser.parse_args(argv)
    settings = Settings(stage_lag=args.stage_lag, keepalive_interval=args.keepalive_interval)
    sock = bind_tcp_socket(args.host, args.port)
    server = FakeHubServer(Store(settings), args.host, args.port, log_level="warning")
    print(base_url(sock), flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
