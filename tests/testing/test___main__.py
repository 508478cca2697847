"""The CLI: port 0, the URL on the first stdout line, a clean exit on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx


def test_cli_serves_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_hfhub.testing.fake_hub",
            "--port",
            "0",
            "--token",
            "hf_cli",
            "--user",
            "cli-user",
            "--stage-lag",
            "0.1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        me = httpx.get(f"{url}/api/whoami-v2", headers={"authorization": "Bearer hf_cli"}, timeout=10)
        assert me.json()["name"] == "cli-user"
        assert httpx.get(f"{url}/_fake/config").json()["stage_lag"] == 0.1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
