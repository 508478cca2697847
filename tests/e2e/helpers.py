"""Small helpers shared by the e2e scenarios."""

from __future__ import annotations

import os
import secrets
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from airflow_provider_hfhub.testing import FakeHub

from .deployment import AirflowApi, process_cmdline

REPLAYED = "[replayed] "


def job_lines(tag: str, count: int) -> list[str]:
    """Distinctive Job log lines (a random part, so no other run's line can match)."""
    salt = secrets.token_hex(3)
    return [f"{tag} line {index:03d} {salt}" for index in range(count)]


def only_job(hub: FakeHub) -> dict[str, Any]:
    jobs = hub.jobs()
    assert len(jobs) == 1, f"the fake Hub has {len(jobs)} Jobs, expected exactly one: {jobs}"
    return jobs[0]


def job_creations(hub: FakeHub) -> list[dict[str, Any]]:
    """The Job-creating requests the fake Hub received (POST /api/jobs/{namespace})."""
    return [
        request
        for request in hub.requests("/api/jobs/")
        if request["method"] == "POST" and request["path"].rstrip("/").count("/") == 3
    ]


def counts(events: list[str], line: str) -> tuple[int, int]:
    """How often ``line`` appears in the log as itself, and marked as replayed."""
    return events.count(line), events.count(REPLAYED + line)


def excerpt(events: list[str], limit: int = 80) -> str:
    return "\n".join(f"  | {event}" for event in events[-limit:])


def airflow_version() -> tuple[int, int]:
    major, minor = version("apache-airflow-core").split(".")[:2]
    return int(major), int(minor)


def worker_pid(ti: dict[str, object]) -> int:
    """The task's worker process ("airflow worker -- <ti id>", the task runner that runs execute)."""
    title = f"airflow worker -- {ti['id']}"
    pid = ti.get("pid")
    if isinstance(pid, int) and title in process_cmdline(pid):
        return pid
    for entry in os.listdir("/proc"):
        if entry.isdigit() and title in process_cmdline(int(entry)):
            return int(entry)
    raise AssertionError(f"no process titled {title!r} (TI pid {pid})")


def parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


class DagRuns:
    """Triggers DAG runs and, at teardown, fails those still going (their Jobs get cancelled)."""

    def __init__(self, api: AirflowApi) -> None:
        self.api = api
        self.started: list[tuple[str, str]] = []

    def trigger(self, dag_id: str, conf: dict[str, object]) -> str:
        run_id = self.api.trigger(dag_id, conf)
        self.started.append((dag_id, run_id))
        return run_id

    def stop_unfinished(self) -> None:
        for dag_id, run_id in self.started:
            try:
                if self.api.dag_run(dag_id, run_id)["state"] not in ("success", "failed"):
                    self.api.call("PATCH", f"/dags/{dag_id}/dagRuns/{run_id}", json={"state": "failed"})
            except Exception as exc:  # teardown goes on: the session fixture stops everything anyway
                print(f"could not stop run {dag_id}/{run_id}: {exc}", file=sys.stderr)


def assert_replayed_once_marked(
    events: list[str], lines: list[str], shown_lines: list[str], why: str
) -> None:
    """After a triggerer took over mid-Job: every line present, none twice unmarked, and the lines
    shown before the takeover once as themselves and once marked; the last line came after it."""
    assert any("its log is replayed from the start" in event for event in events), excerpt(events)
    for line in lines:
        plain, replayed = counts(events, line)
        assert plain + replayed >= 1, f"{line!r} is missing:\n{excerpt(events, 200)}"
        assert plain <= 1 and replayed <= 1, f"{line!r} shown {plain} + {replayed} times"
    for line in shown_lines:  # shown before the kill: once as itself, once marked as replayed
        assert counts(events, line) == (1, 1), f"{line!r}: {counts(events, line)}\n{excerpt(events, 200)}"
    assert any(event.startswith(REPLAYED) for event in events)
    assert counts(events, lines[-1]) == (1, 0), f"the last line came after the {why}: not a replay"
