"""Run the fake Hub: ``python -m airflow_provider_hfhub.testing.fake_hub --port 0``.

The first line on stdout is the base URL alone, so a parent process can read it.
"""

from __future__ import annotations

import argparse
import sys

from .server import FakeHubServer, base_url, bind_socket
from .state import Settings
from .store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_hfhub.testing.fake_hub")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=Settings.token)
    parser.add_argument("--user", default=Settings.user)
    parser.add_argument("--org", action="append", dest="orgs", help="an org of the user (repeatable)")
    parser.add_argument("--stage-lag", type=float, default=Settings.stage_lag)
    parser.add_argument("--keepalive-interval", type=float, default=Settings.keepalive_interval)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

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
