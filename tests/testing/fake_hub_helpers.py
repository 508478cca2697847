"""Helpers for the fake Hub's own tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def run_scenario_job(
    client: httpx.Client, scenario: str, ns: str = "fake-user", **spec: Any
) -> dict[str, Any]:
    body = {
        "dockerImage": "python:3.12",
        "command": ["true"],
        "flavor": "cpu-basic",
        "labels": {"fake-scenario": scenario},
        **spec,
    }
    response = client.post(f"/api/jobs/{ns}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def read_events(
    client: httpx.Client,
    url: str,
    *,
    until: int | None = None,
    timeout: float = 10.0,
    params: dict[str, Any] | None = None,
) -> list[str]:
    """Read raw SSE lines (blank separators dropped) until the stream ends or ``until`` lines came."""
    lines: list[str] = []
    with client.stream("GET", url, params=params, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line:
                lines.append(line)
            if until is not None and len(lines) >= until:
                break
    return lines
