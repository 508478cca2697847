"""Spaces: their stored form, the runtime JSON, and the build/run state machine.

restart -> BUILDING (build lines) -> APP_STARTING -> RUNNING (run lines), or BUILD_ERROR /
RUNTIME_ERROR with ``errorMessage``. A running Space keeps reporting its old RUNNING for
``stale_running_seconds`` after a restart, and only then starts building, so the build stages
always show between the two RUNNINGs. A hardware request changes ``requested`` at once but
``current`` only once the rebuild is done. The runtime JSON has the real Hub's keys only: no build
id (docs/hub-api.md#space-runtime); the admin view has ``build_id`` for tests. A commit to a
running Space rebuilds it while the old run serves (``RUNNING_BUILDING``, ``RUNNING_APP_STARTING``),
and the runtime's ``sha`` names the commit the current run was built from
(docs/hub-api.md#space-deploys; ``runtime_sha=False`` leaves it out, to test the stage-only rule).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .repos import initial_commit_oid
from .state import LogBuffer, iso, now


@dataclass
class SpaceScenario:
    build_lines: list[str] = field(default_factory=lambda: ["Building image...", "Build done."])
    run_lines: list[str] = field(default_factory=lambda: ["Running on local URL:  http://0.0.0.0:7860"])
    line_interval: float = 0.02
    build_seconds: float = 0.0
    app_starting_seconds: float = 0.05
    outcome: str = "RUNNING"
    error_message: str | None = None
    stale_running_seconds: float = 0.0
    hardware_switch_seconds: float = 0.0
    runtime_sha: bool = True
    # What the Space's own host answers while it runs (``space_hosts.py``).
    app_status: int = 200
    app_body: str = "ok"
    app_redirect: str | None = None


@dataclass
class Space:
    namespace: str
    name: str
    stage: str = "RUNNING"
    hardware: str | None = "cpu-basic"
    requested_hardware: str | None = "cpu-basic"
    sleep_time: int | None = 172800
    sdk: str = "gradio"
    storage: str | None = None
    dev_mode: bool = False
    volumes: list[dict[str, Any]] = field(default_factory=list)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    scenario: SpaceScenario = field(default_factory=SpaceScenario)
    error_message: str | None = None
    build_id: int = 1
    build_log: LogBuffer = field(default_factory=LogBuffer)
    run_log: LogBuffer = field(default_factory=LogBuffer)
    stale_until: float = 0.0
    restarts: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    private: bool = False
    sha: str | None = None  # the commit the current run was built from
    building_sha: str | None = None
    serving_old: bool = False  # a push rebuilds while the old run still serves

    @property
    def repo_id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def reported_stage(self) -> str:
        if now() < self.stale_until:
            return "RUNNING"
        if self.serving_old and self.stage in ("BUILDING", "APP_STARTING"):
            return f"RUNNING_{self.stage}"
        return self.stage

    def seed_logs(self) -> None:
        """Give a Space created already RUNNING the logs of a finished build and a live run."""
        for line in self.scenario.build_lines:
            self.build_log.append(line)
        self.build_log.close()
        if self.stage in ("RUNNING", "RUNTIME_ERROR", "APP_STARTING"):
            for line in self.scenario.run_lines:
                self.run_log.append(line)
        if self.stage != "RUNNING":
            self.run_log.close()

    def runtime(self) -> dict[str, Any]:
        """Render the runtime object as ``SpaceRuntime`` reads it (docs/hub-api.md#space-runtime)."""
        stage = self.reported_stage()
        body: dict[str, Any] = {
            "stage": stage,
            "hardware": {"current": self.hardware, "requested": self.requested_hardware},
            "storage": self.storage,
            "gcTimeout": self.sleep_time,
            "replicas": {"requested": 1, "current": 1 if stage == "RUNNING" else 0},
            "devMode": self.dev_mode,
            "domains": [{"domain": f"{self.namespace}-{self.name}.hf.space", "stage": "READY"}],
            "sdk": self.sdk,
        }
        if self.volumes:
            body["volumes"] = self.volumes
        if self.scenario.runtime_sha and self.sha is not None:
            body["sha"] = self.sha
        if stage in ("BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR") and self.error_message:
            body["errorMessage"] = self.error_message
        return body

    def report(self) -> dict[str, Any]:
        """Return the full admin view (``GET /_fake/spaces/{ns}/{name}``)."""
        return {
            "repo_id": self.repo_id,
            "stage": self.stage,
            "reported_stage": self.reported_stage(),
            "hardware": self.hardware,
            "requested_hardware": self.requested_hardware,
            "sleep_time": self.sleep_time,
            "storage": self.storage,
            "dev_mode": self.dev_mode,
            "volumes": self.volumes,
            "secrets": self.secrets,
            "variables": self.variables,
            "error_message": self.error_message,
            "build_id": self.build_id,
            "sha": self.sha,
            "private": self.private,
            "restarts": self.restarts,
            "build_log": self.build_log.lines(),
            "run_log": self.run_log.lines(),
            "runtime": self.runtime(),
        }

    def stop(self, stage: str, *, keep_hardware: bool = False) -> None:
        """Stop whatever runs and settle in ``stage`` (PAUSED, SLEEPING, a forced stage...)."""
        self._cancel()
        self.stage = stage
        self.stale_until = 0.0
        self.serving_old = False
        if not keep_hardware:
            self.hardware = None
        self.build_log.close()
        if stage != "RUNNING":
            self.run_log.close()

    def restart(self, *, factory: bool = False, reason: str = "restart", sha: str | None = None) -> None:
        """Start a new build (of commit ``sha``, else the current one) as a task on the server loop."""
        was_running = self.reported_stage().startswith("RUNNING")
        self.building_sha = sha or self.building_sha or self.sha
        self.serving_old = was_running and reason == "commit"
        self._cancel()
        self.build_log.close()
        self.run_log.close()
        self.build_id += 1
        self.build_log, self.run_log = LogBuffer(), LogBuffer()
        self.error_message = None
        self.stage = "BUILDING"
        if was_running and self.scenario.stale_running_seconds > 0:
            self.stale_until = now() + self.scenario.stale_running_seconds
        self.restarts.append(
            {"at": iso(now()), "factory": factory, "reason": reason, "build_id": self.build_id, "sha": sha}
        )
        self.task = asyncio.get_running_loop().create_task(self._build_and_run(reason == "hardware"))

    def _cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None

    async def _build_and_run(self, hardware_change: bool) -> None:
        sc = self.scenario
        if self.stale_until > now():  # the old run is still reported; the build starts after that
            await asyncio.sleep(self.stale_until - now())
        started = now()
        for line in sc.build_lines:
            await asyncio.sleep(sc.line_interval)
            self.build_log.append(line)
        remaining = sc.build_seconds
        if hardware_change:
            remaining = max(remaining, sc.hardware_switch_seconds - (now() - started))
        if remaining > 0:
            await asyncio.sleep(remaining)
        if sc.outcome == "BUILD_ERROR":
            self._fail("BUILD_ERROR", self.build_log, sc.error_message or "Build failed with exit code: 1")
            return
        self.build_log.close()
        self.hardware = self.requested_hardware
        self.stage = "APP_STARTING"
        if sc.app_starting_seconds > 0:
            await asyncio.sleep(sc.app_starting_seconds)
        for line in sc.run_lines:
            await asyncio.sleep(sc.line_interval)
            self.run_log.append(line)
        if sc.outcome == "RUNTIME_ERROR":
            self._fail(
                "RUNTIME_ERROR", self.run_log, sc.error_message or "Exit code: 1. Reason: application crashed"
            )
            return
        self.stage = "RUNNING"
        self.sha, self.serving_old = self.building_sha, False

    def _fail(self, stage: str, log: LogBuffer, message: str) -> None:
        log.append(message)
        self.error_message = message
        self.stage = stage
        self.stale_until = 0.0
        self.serving_old = False
        self.build_log.close()
        self.run_log.close()


def space_from_admin(body: dict[str, Any]) -> Space:
    """Build a Space from the admin API body (snake_case keys)."""
    namespace, _, name = str(body["repo_id"]).partition("/")
    if not name:
        raise ValueError("repo_id must be 'namespace/name'")
    scenario_keys = set(SpaceScenario.__dataclass_fields__)
    scenario = SpaceScenario(**{k: v for k, v in body.items() if k in scenario_keys})
    hardware = body.get("hardware", "cpu-basic")
    stage = body.get("stage", "RUNNING")
    space = Space(
        namespace=namespace,
        name=name,
        stage=stage,
        hardware=hardware if stage in ("RUNNING", "APP_STARTING", "RUNTIME_ERROR") else None,
        requested_hardware=hardware,
        sleep_time=body.get("sleep_time", 172800),
        sdk=body.get("sdk", "gradio"),
        storage=body.get("storage"),
        scenario=scenario,
        error_message=body.get("error_message") if stage.endswith("ERROR") else None,
        private=bool(body.get("private", False)),
    )
    space.sha = space.building_sha = initial_commit_oid("space", space.repo_id)
    for key, value in (body.get("variables") or {}).items():
        space.variables[key] = {"value": value, "updatedAt": iso(now())}
    for key in body.get("secrets") or {}:
        space.secrets[key] = {"updatedAt": iso(now())}
    space.seed_logs()
    return space
