"""``FakeHub``: a Python handle on a running fake Hub, driving its ``/_fake/`` admin API over HTTP.

Because it only speaks HTTP, it drives a fake Hub in this process or in another one alike.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx


class FakeHub:
    """Drive a fake Hub at ``url``; ``token`` and ``user`` are what clients should use against it.

    :param url: base URL of the fake Hub, e.g. ``http://127.0.0.1:43817``.
    :param token: the token the fake accepts (kept in sync by :meth:`configure`).
    :param user: the fake Hub's user name, the default namespace for Jobs.
    """

    def __init__(self, url: str, token: str = "hf_fake_token", user: str = "fake-user") -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.user = user
        self._http = httpx.Client(base_url=self.url, timeout=30)

    def __repr__(self) -> str:
        return f"FakeHub(url={self.url!r}, user={self.user!r})"

    def airflow_connection(self, **extra: str) -> str:
        """An Airflow ``hfhub`` connection to this fake Hub, as ``AIRFLOW_CONN_<ID>`` takes it (JSON).

        :param extra: connection extras, e.g. ``namespace="fake-org"``.
        """
        conn: dict[str, Any] = {"conn_type": "hfhub", "host": self.url, "password": self.token}
        if extra:
            conn["extra"] = extra
        return json.dumps(conn)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, f"/_fake{path}", json=json, params=params)
        if response.status_code >= 400:
            raise RuntimeError(f"fake Hub admin {method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    # -- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all Jobs, Spaces, scenarios, faults and requests; restore the start settings."""
        self._call("POST", "/reset")
        config = self._call("GET", "/config")
        self.token, self.user = config["token"], config["user"]

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change settings: ``user``, ``token``, ``orgs``, ``stage_lag``, ``keepalive_interval``,
        ``metrics_interval``, ``page_size``. Return the full settings."""
        config: dict[str, Any] = self._call("POST", "/config", json=settings)
        self.token, self.user = config["token"], config["user"]
        return config

    # -- jobs ---------------------------------------------------------------------------

    def add_job_scenario(
        self,
        name: str,
        lines: list[str] | None = None,
        *,
        line_interval: float = 0.0,
        scheduling_seconds: float = 0.0,
        final_stage: str = "COMPLETED",
        message: str | None = None,
        stage_lag: float | None = None,
        endless_empty_stream: bool = False,
        hold: bool = False,
    ) -> None:
        """Register a Job scenario; Jobs pick it with label ``fake-scenario=<name>``."""
        self._call(
            "POST",
            "/scenarios",
            json={
                "name": name,
                "lines": list(lines or []),
                "line_interval": line_interval,
                "scheduling_seconds": scheduling_seconds,
                "final_stage": final_stage,
                "message": message,
                "stage_lag": stage_lag,
                "endless_empty_stream": endless_empty_stream,
                "hold": hold,
            },
        )

    def set_default_job_scenario(self, name: str | None) -> None:
        """Run Jobs with no scenario of their own through ``name`` (``None``: local processes)."""
        self._call("POST", "/scenarios/default", json={"name": name})

    def finish_job(self, job_id: str, stage: str = "COMPLETED", message: str | None = None) -> dict[str, Any]:
        """Finish a held Job (its stream closes, its stage flips after the lag)."""
        result: dict[str, Any] = self._call(
            "POST", f"/jobs/{job_id}/finish", json={"stage": stage, "message": message}
        )
        return result

    def jobs(self) -> list[dict[str, Any]]:
        """Return every Job as stored: spec, stage, ``created_at``, ``terminal_at``, log lines..."""
        result: list[dict[str, Any]] = self._call("GET", "/jobs")
        return result

    def job(self, job_id: str) -> dict[str, Any]:
        for job in self.jobs():
            if job["id"] == job_id:
                return job
        raise KeyError(job_id)

    def wait_for_job_stage(self, job_id: str, stage: str, timeout: float = 10.0) -> dict[str, Any]:
        """Poll until the Job reaches ``stage``; raise ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["stage"] == stage:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is {job['stage']}, not {stage}, after {timeout}s")
            time.sleep(0.02)

    # -- spaces -------------------------------------------------------------------------

    def add_space(self, repo_id: str, **options: Any) -> dict[str, Any]:
        """Create or replace a Space. Options: ``stage``, ``hardware``, ``sleep_time``, ``sdk``,
        ``storage``, ``variables``, ``secrets``, ``build_lines``, ``run_lines``, ``line_interval``,
        ``build_seconds``, ``app_starting_seconds``, ``outcome``, ``error_message``,
        ``stale_running_seconds``, ``hardware_switch_seconds``."""
        result: dict[str, Any] = self._call("POST", "/spaces", json={"repo_id": repo_id, **options})
        return result

    def set_space_stage(self, repo_id: str, stage: str, error_message: str | None = None) -> dict[str, Any]:
        """Force a stage, e.g. ``SLEEPING``; ``BUILDING`` starts a rebuild."""
        result: dict[str, Any] = self._call(
            "POST", f"/spaces/{repo_id}/stage", json={"stage": stage, "error_message": error_message}
        )
        return result

    def space_state(self, repo_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/spaces/{repo_id}")
        return result

    def wait_for_space_stage(self, repo_id: str, stage: str, timeout: float = 10.0) -> dict[str, Any]:
        """Poll until the Space's reported stage is ``stage``."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.space_state(repo_id)
            if state["reported_stage"] == stage:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"space {repo_id} is {state['reported_stage']}, not {stage}")
            time.sleep(0.02)

    # -- faults and requests ------------------------------------------------------------

    def inject_fault(
        self,
        kind: str = "status",
        *,
        path: str = ".*",
        method: str | None = None,
        count: int = 1,
        when: str = "before",
        status: int = 500,
        message: str | None = None,
        error_code: str | None = None,
        retry_after: float | None = None,
        rate_limit: float | None = None,
        after_events: int = 0,
        seconds: float = 0.0,
        headers: dict[str, str] | None = None,
        partial: bool = False,
    ) -> None:
        """Add a fault hitting the next ``count`` requests matching ``method`` and the ``path`` regex.

        :param kind: ``status``, ``drop_stream``, ``stall_stream``, ``slow``, ``malformed_event`` or ``reset``.
        :param partial: ``drop_stream`` only: cut the connection inside the next event, not between two.
        """
        self._call(
            "POST",
            "/faults",
            json={
                "kind": kind,
                "path": path,
                "method": method,
                "count": count,
                "when": when,
                "status": status,
                "message": message,
                "error_code": error_code,
                "retry_after": retry_after,
                "rate_limit": rate_limit,
                "after_events": after_events,
                "seconds": seconds,
                "headers": headers or {},
                "partial": partial,
            },
        )

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/faults")
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self, path_prefix: str | None = None) -> list[dict[str, Any]]:
        """Return the Hub requests received, in order (admin calls excluded)."""
        params = {"path_prefix": path_prefix} if path_prefix else None
        result: list[dict[str, Any]] = self._call("GET", "/requests", params=params)
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def open_streams(self, path_prefix: str | None = None) -> list[dict[str, str]]:
        """Return the event streams being served now (``method``, ``path``), oldest first."""
        result: list[dict[str, str]] = self._call("GET", "/streams")
        return [s for s in result if not path_prefix or s["path"].startswith(path_prefix)]
