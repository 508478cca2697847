"""The fake Hub's whole state and the operations that change it, shared by all routes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, MutableMapping
from typing import Any

from .faults import Fault
from .jobs import Job, JobScenario, kill_process, new_job, run_job, scenario_name
from .ratelimit import RateWindow
from .spaces import Space
from .state import Settings, iso, new_id, now, stable_id


class Store:
    """Jobs, scheduled Jobs, Spaces, scenarios, faults and the request log."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.initial = dataclasses.replace(settings or Settings())
        # Event streams being served, by serial; kept across resets since each removes itself.
        self.open_streams: dict[int, dict[str, str]] = {}
        # Set by the server: reset (TCP RST) the connection that carries this ASGI scope.
        self.reset_connection: Callable[[MutableMapping[str, Any]], None] | None = None
        self._clear()

    def _clear(self) -> None:
        self.settings = dataclasses.replace(self.initial, orgs=list(self.initial.orgs))
        self.jobs: dict[str, Job] = {}
        self.scheduled: dict[str, dict[str, Any]] = {}
        self.spaces: dict[str, Space] = {}
        self.scenarios: dict[str, JobScenario] = {}
        self.default_scenario: str | None = None
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []
        self.rate_window = RateWindow()

    # -- lifecycle -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything and restore the settings the server started with."""
        self.shutdown()
        self._clear()

    def shutdown(self) -> None:
        """Stop every task and process and end every open stream (safe to call twice)."""
        for job in self.jobs.values():
            if job.task and not job.task.done():
                job.task.cancel()
            proc = job.process
            if proc is not None and proc.returncode is None:
                kill_process(job)
            job.log.kill()
        for space in self.spaces.values():
            space.stop(space.stage, keep_hardware=True)
            space.build_log.kill()
            space.run_log.kill()

    # -- jobs ------------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        s = self.settings
        orgs = [
            {
                "id": stable_id(o),
                "type": "org",
                "name": o,
                "fullname": o,
                "email": None,
                "canPay": False,
                "avatarUrl": "/avatars/org.svg",
                "periodEnd": None,
            }
            for o in s.orgs
        ]
        return {
            "type": "user",
            "id": stable_id(s.user),
            "name": s.user,
            "fullname": s.user.title(),
            "email": f"{s.user}@example.com",
            "emailVerified": True,
            "canPay": False,
            "isPro": False,
            "periodEnd": None,
            "avatarUrl": "/avatars/user.svg",
            "billingMode": "postpaid",
            "orgs": orgs,
            "auth": {
                "type": "access_token",
                "accessToken": {"displayName": "fake", "role": "write", "createdAt": iso(0)},
            },
        }

    def user_initiator(self) -> dict[str, Any]:
        return {"type": "user", "id": stable_id(self.settings.user), "name": self.settings.user}

    def create_job(
        self, namespace: str, spec: dict[str, Any], initiator: dict[str, Any] | None = None
    ) -> Job:
        """Store a new Job and start running it on the current loop."""
        job = new_job(namespace, spec, self.settings, initiator or self.user_initiator())
        name = scenario_name(spec) or self.default_scenario
        if name is not None:
            if name not in self.scenarios:
                raise KeyError(f"unknown fake scenario {name!r}")
            job.scenario = self.scenarios[name]
        if job.scenario is None or job.scenario.scheduling_seconds <= 0:
            job.start_running()
        self.jobs[job.id] = job
        job.task = asyncio.get_running_loop().create_task(run_job(job, self.settings))
        return job

    def cancel_job(self, job: Job) -> None:
        """Cancel at once; a Job whose work already ended (or is terminal) is left alone."""
        if job.terminal or job.work_ended_at is not None:
            return
        if job.task and not job.task.done():
            job.task.cancel()
        kill_process(job)
        job.set_terminal("CANCELED", "Job canceled by user")

    def finish_job(self, job: Job, stage: str, message: str | None) -> None:
        """Finish a held Job normally (stream closes, stage lags); force any other running Job."""
        if job.terminal or job.work_ended_at is not None:
            return
        fut = job.finish_request
        if fut is not None and not fut.done():
            fut.set_result((stage, message))
            return
        if job.task and not job.task.done():
            job.task.cancel()
        job.set_terminal(stage, message)

    def list_jobs(self, namespace: str, stages: list[str], labels: list[str]) -> list[Job]:
        wanted = {s.upper() for s in stages}
        out = []
        for job in sorted(self.jobs.values(), key=lambda j: j.created_at, reverse=True):
            if job.namespace != namespace or (wanted and job.stage not in wanted):
                continue
            if all(_label_matches(job.labels, f) for f in labels):
                out.append(job)
        return out

    # -- scheduled jobs ----------------------------------------------------------------------

    def create_scheduled(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        sid = new_id()
        owner_type = "user" if namespace == self.settings.user else "org"
        spec = dict(body.get("jobSpec") or {})
        if "timeoutSeconds" in spec:
            spec.setdefault("timeout", spec["timeoutSeconds"])
        item = {
            "id": sid,
            "createdAt": iso(now()),
            "schedule": body.get("schedule"),
            "suspend": bool(body.get("suspend", False)),
            "concurrency": bool(body.get("concurrency", False)),
            "status": {"lastJob": None, "nextJobRunAt": iso(now() + 3600)},
            "owner": {"id": stable_id(namespace), "name": namespace, "type": owner_type},
            "jobSpec": spec,
            "namespace": namespace,
        }
        self.scheduled[sid] = item
        return item

    def trigger_scheduled(self, item: dict[str, Any]) -> Job:
        initiator = {"type": "scheduled-job", "id": item["id"]}
        spec = {k: v for k, v in item["jobSpec"].items() if k != "timeout"}
        job = self.create_job(item["namespace"], spec, initiator)
        item["status"]["lastJob"] = {"id": job.id, "at": iso(job.created_at)}
        return job

    def running_for(self, item: dict[str, Any]) -> bool:
        last = item["status"]["lastJob"]
        return bool(last) and not self.jobs[last["id"]].terminal


def scheduled_json(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "namespace"}


def _label_matches(labels: dict[str, str], expr: str) -> bool:
    key, sep, value = expr.partition("=")
    if not sep:
        return key in labels
    return labels.get(key) == value
