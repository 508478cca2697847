"""Run the fake Hub: ``python -m airflow_provider_hfhub.testing.fake_hub --port 0``.

The first line on stdout is the base URL alone, so a parent process can read it. It serves on
loopback only, unless ``--allow-remote``: it runs Job commands as local processes and has no real
auth, so a port open to the network is remote code execution.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys

from .server import FakeHubServer, base_url, bind_socket
from .state import Settings
from .store import Store


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback one (``127.0.0.0/8``, ``::1``)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).split("%")[0] for info in infos}  # "%" starts an IPv6 zone id
    return bool(addresses) and all(ipaddress.ip_address(address).is_loopback for address in addresses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_hfhub.testing.fake_hub")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address unless --allow-remote")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="serve on a non-loopback host: anyone who reaches it can run commands on this machine",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=Settings.token)
    parser.add_argument("--user", default=Settings.user)
    parser.add_argument("--org", action="append", dest="orgs", help="an org of the user (repeatable)")
    parser.add_argument("--stage-lag", type=float, default=Settings.stage_lag)
    parser.add_argument("--keepalive-interval", type=float, default=Settings.keepalive_interval)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    if not args.allow_remote and not is_loopback(args.host):
        parser.error(
            f"--host {args.host} is not a loopback address: the fake Hub runs Job commands as local "
            "processes, so anyone who reaches it can run code here. Use 127.0.0.1, or add "
            "--allow-remote on a network you trust."
        )

    settings = Settings(
        user=args.user, token=args.token, stage_lag=args.stage_lag, keepalive_interval=args.keepalive_interval
    )
    if args.orgs:
        settings.orgs = args.orgs
    sock = bind_socket(args.host, args.port)
    server = FakeHubServer(Store(settings), args.host, args.port, log_level=args.log_level)
    print(base_url(sock), flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
