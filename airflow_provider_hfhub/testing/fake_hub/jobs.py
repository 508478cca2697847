"""Jobs: their stored form, their JSON shape, and the two ways they run (scenario or local process).

A Job's *work* ends when its last log line is written (the log stream closes then); its *stage*
turns terminal ``stage_lag`` seconds later, as on the real Hub (docs/hub-api.md#job-logs).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from .state import LogBuffer, Settings, iso, new_id, now, stable_id

TERMINAL = ("COMPLETED", "CANCELED", "ERROR", "DELETED")


@dataclass
class JobScenario:
    """A scripted Job run, registered through ``POST /_fake/scenarios``."""

    name: str
    lines: list[str] = field(default_factory=list)
    line_interval: float = 0.0
    scheduling_seconds: float = 0.0
    final_stage: str = "COMPLETED"
    message: str | None = None
    stage_lag: float | None = None
    endless_empty_stream: bool = False
    hold: bool = False
    # Every GPU's utilization in the metrics stream (None: a busy pattern), e.g. 2 for an idle GPU.
    gpu_utilization: float | None = None


@dataclass
class Job:
    id: str
    namespace: str
    owner_type: str
    spec: dict[str, Any]
    initiator: dict[str, Any]
    scenario: JobScenario | None = None
    stage: str = "SCHEDULING"
    message: str | None = None
    created_at: float = field(default_factory=now)
    started_at: float | None = None
    finished_at: float | None = None
    work_ended_at: float | None = None
    terminal_at: float | None = None
    log: LogBuffer = field(default_factory=LogBuffer)
    task: asyncio.Task[None] | None = None
    process: asyncio.subprocess.Process | None = None
    exit_code: int | None = None
    finish_request: asyncio.Future[tuple[str, str | None]] | None = None

    @property
    def terminal(self) -> bool:
        return self.stage in TERMINAL

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.spec.get("labels") or {})

    def start_running(self) -> None:
        self.stage = "RUNNING"
        self.started_at = now()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.started_at))
        self.log.append(f"===== Job started at {stamp} =====", self.started_at)

    def end_work(self) -> None:
        """Mark the work as done: the log stream closes, the stage has not flipped yet."""
        self.work_ended_at = now()
        self.log.close()

    def set_terminal(self, stage: str, message: str | None) -> None:
        self.stage, self.message = stage, message
        self.finished_at = self.terminal_at = now()
        if self.work_ended_at is None:
            self.end_work()

    def to_json(self, user: str) -> dict[str, Any]:
        """Render the Job object exactly as ``JobInfo(**json)`` reads it (docs/hub-api.md#job-object)."""
        spec = self.spec
        body: dict[str, Any] = {
            "id": self.id,
            "createdAt": iso(self.created_at),
            "command": list(spec.get("command") or []),
            "arguments": list(spec.get("arguments") or []),
            "environment": dict(spec.get("environment") or {}),
            # Never echo secret values: keys only, values blanked.
            "secrets": dict.fromkeys(spec.get("secrets") or {}, ""),
            "flavor": spec.get("flavor", "cpu-basic"),
            "labels": self.labels,
            "volumes": spec.get("volumes") or [],
            "status": {"stage": self.stage, "message": self.message},
            "durations": self._durations(),
            "owner": {"id": stable_id(self.namespace), "name": self.namespace, "type": self.owner_type},
            "initiator": self.initiator,
        }
        for key in ("dockerImage", "spaceId", "timeoutSeconds", "network", "expose"):
            if key in spec:
                body[key] = spec[key]
        if self.started_at is not None:
            body["startedAt"] = iso(self.started_at)
        if self.finished_at is not None:
            body["finishedAt"] = iso(self.finished_at)
        ports = (spec.get("expose") or {}).get("ports") or []
        if ports:
            body["status"]["exposeUrls"] = [f"https://{self.id}--{p}.hf.jobs" for p in ports]
        if (spec.get("ssh") or {}).get("enabled"):
            body["status"]["sshUrl"] = f"ssh://{self.id}@ssh.hf.jobs"
        return body

    def _durations(self) -> dict[str, int]:
        end = self.finished_at or now()
        out = {"totalSecs": int(end - self.created_at)}
        if self.started_at is not None:
            out["schedulingSecs"] = int(self.started_at - self.created_at)
            out["runningSecs"] = int(end - self.started_at)
        return out

    def report(self) -> dict[str, Any]:
        """Return the admin view of the Job (``GET /_fake/jobs``)."""
        return {
            "id": self.id,
            "namespace": self.namespace,
            "spec": self.spec,
            "scenario": self.scenario.name if self.scenario else None,
            "stage": self.stage,
            "message": self.message,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "work_ended_at": self.work_ended_at,
            "terminal_at": self.terminal_at,
            "exit_code": self.exit_code,
            "pid": self.process.pid if self.process else None,
            "log": self.log.lines(),
        }


def new_job(namespace: str, spec: dict[str, Any], settings: Settings, initiator: dict[str, Any]) -> Job:
    owner_type = "user" if namespace == settings.user else "org"
    return Job(id=new_id(), namespace=namespace, owner_type=owner_type, spec=spec, initiator=initiator)


def scenario_name(spec: dict[str, Any]) -> str | None:
    """Return the scenario a Job asks for, via label ``fake-scenario`` or env ``FAKE_HUB_SCENARIO``."""
    labels = spec.get("labels") or {}
    env = spec.get("environment") or {}
    return labels.get("fake-scenario") or env.get("FAKE_HUB_SCENARIO")


async def run_job(job: Job, settings: Settings) -> None:
    """Drive ``job`` to its end; cancellation of this task kills any process."""
    sc = job.scenario
    lag = settings.stage_lag if sc is None or sc.stage_lag is None else sc.stage_lag
    try:
        stage, message = await (_run_scenario(job, sc) if sc else _run_process(job))
    except asyncio.CancelledError:
        kill_process(job)
        raise
    except Exception as exc:  # the fake must never leave a Job hanging on its own bug
        job.log.append(f"fake hub: {exc!r}")
        stage, message = "ERROR", str(exc)
    if sc is None or not sc.endless_empty_stream:
        job.end_work()
    else:
        job.work_ended_at = now()
    if lag > 0:
        await asyncio.sleep(lag)
    job.set_terminal(stage, message)


async def _run_scenario(job: Job, sc: JobScenario) -> tuple[str, str | None]:
    if sc.scheduling_seconds > 0:
        await asyncio.sleep(sc.scheduling_seconds)
    if job.stage == "SCHEDULING":
        job.start_running()
    # Each line at its own time from the start (not a sleep after the last one): a real Job prints on
    # its own clock, while sleeps resumed late by a busy fake Hub would fall into step with each other
    # and turn a fleet's lines into bursts (README "Performance").
    loop = asyncio.get_running_loop()
    started = loop.time()
    for number, line in enumerate(sc.lines, 1):
        if sc.line_interval > 0:
            await asyncio.sleep(max(0.0, started + number * sc.line_interval - loop.time()))
        job.log.append(line)
    if sc.hold:
        job.finish_request = loop.create_future()
        return await job.finish_request
    return sc.final_stage, sc.message


def build_command(spec: dict[str, Any]) -> list[str]:
    """Return the argv to run locally: ``python``/``python3`` become this interpreter."""
    argv = [str(a) for a in list(spec.get("command") or []) + list(spec.get("arguments") or [])]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


def build_env(spec: dict[str, Any]) -> dict[str, str]:
    env = {k: os.environ[k] for k in ("PATH", "HOME", "PYTHONPATH", "SYSTEMROOT") if k in os.environ}
    env["PYTHONUNBUFFERED"] = "1"  # so lines reach the log as they are printed
    env.update({str(k): str(v) for k, v in (spec.get("environment") or {}).items()})
    env.update({str(k): str(v) for k, v in (spec.get("secrets") or {}).items()})
    return env


async def _run_process(job: Job) -> tuple[str, str | None]:
    if job.stage == "SCHEDULING":
        job.start_running()
    argv = build_command(job.spec)
    if not argv:
        return "ERROR", "Job has no command"
    try:
        job.process = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            env=build_env(job.spec),
            start_new_session=True,
        )
    except OSError as exc:
        job.log.append(f"exec failed: {exc}")
        return "ERROR", f"Failed to start command: {exc}"
    timeout = job.spec.get("timeoutSeconds")
    try:
        await asyncio.wait_for(_pump(job, job.process), timeout=float(timeout) if timeout else None)
    except asyncio.TimeoutError:
        kill_process(job)
        await job.process.wait()
        job.exit_code = job.process.returncode
        return "ERROR", f"Job timed out after {timeout} seconds"
    code = job.exit_code = job.process.returncode
    if code == 0:
        return "COMPLETED", None
    return "ERROR", f"Job failed with exit code: {code}"


async def _pump(job: Job, proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    async for raw in proc.stdout:
        job.log.append(raw.decode(errors="replace").rstrip("\r\n"))
    await proc.wait()


def kill_process(job: Job) -> None:
    proc = job.process
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
