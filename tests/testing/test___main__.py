"""The CLI: port 0, the URL on the first stdout line, a clean exit on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import httpx
import pytest

from airflow_provider_hfhub.testing.fake_hub.__main__ import is_loopback, main


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


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "example.invalid"])
def test_cli_refuses_a_non_loopback_host(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    """It runs Job commands as local processes: an open port would be remote code execution."""
    with socket.socket() as held, pytest.raises(SystemExit) as exited:
        held.bind(("0.0.0.0", 0))  # were the check gone, the bind would fail here instead of serving
        main(["--host", host, "--port", str(held.getsockname()[1])])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"--host {host} is not a loopback address" in err and "--allow-remote" in err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.9.8.7", True), ("::1", True), ("localhost", True), ("0.0.0.0", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_allow_remote_lets_a_non_loopback_host_through_to_the_bind() -> None:
    """Proved without opening a port to the network: the port is held (bound, not listening)."""
    with socket.socket() as held:
        held.bind(("0.0.0.0", 0))
        port = held.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            main(["--host", "0.0.0.0", "--port", str(port), "--allow-remote"])
