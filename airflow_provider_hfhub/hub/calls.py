"""Every Hub endpoint, described once: method, path, query, body and how to read the answer.

Pure functions, no I/O and no Airflow: the sync and async clients send these same descriptions.
Request shapes match the official ``huggingface_hub`` client (2.4) byte for byte, so the Hub
sees the same requests from both.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from airflow_provider_hfhub.hub.models import (
    HardwareInfo,
    JobInfo,
    JsonDict,
    ScheduledJobInfo,
    SpaceRuntime,
    Volume,
)
from airflow_provider_hfhub.hub.stages import DEFAULT_JOB_FLAVOR
from airflow_provider_hfhub.hub.timeouts import timeout_seconds

T = TypeVar("T")
NAMESPACE = "{namespace}"
DEFAULT_UV_IMAGE = "ghcr.io/astral-sh/uv:python3.12-bookworm"
SPACE_IMAGE_PREFIXES = (
    "https://huggingface.co/spaces/",
    "https://hf.co/spaces/",
    "huggingface.co/spaces/",
    "hf.co/spaces/",
)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the parser of its answer.

    :param path: may contain ``{namespace}``, filled by the client (``whoami`` when not given).
    :param creates: the request creates paid work: sent again only when the Hub surely did not
        process it, or ``find`` shows it did not (``flows.create``), so a retry never starts a second Job.
    :param find: for a create, the list call that finds what it made (by labels only it carries).
    """

    method: str
    path: str
    parse: Callable[[Any, str], T]
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    namespace: str | None = None
    creates: bool = False
    find: Call[Any] | None = None

    @property
    def needs_namespace(self) -> bool:
        return NAMESPACE in self.path and self.namespace is None

    def in_namespace(self, namespace: str) -> Call[T]:
        find = self.find.in_namespace(namespace) if self.find and self.find.needs_namespace else self.find
        return replace(self, namespace=namespace, find=find)

    @property
    def url_path(self) -> str:
        return self.path.replace(NAMESPACE, self.namespace or "")

    def with_params(self, params: tuple[tuple[str, str], ...]) -> Call[T]:
        return replace(self, params=params)


def _ignore(data: Any, endpoint: str) -> None:
    return None


def _json(data: Any, endpoint: str) -> Any:
    return data


def _job(data: Any, endpoint: str) -> JobInfo:
    return JobInfo.from_json(data, endpoint=endpoint)


def _jobs(data: Any, endpoint: str) -> list[JobInfo]:
    return [JobInfo.from_json(item, endpoint=endpoint) for item in data or []]


def _scheduled(data: Any, endpoint: str) -> ScheduledJobInfo:
    return ScheduledJobInfo.from_json(data)


def _scheduled_list(data: Any, endpoint: str) -> list[ScheduledJobInfo]:
    return [ScheduledJobInfo.from_json(item) for item in data or []]


def _runtime(data: Any, endpoint: str) -> SpaceRuntime:
    return SpaceRuntime.from_json(data)


def _hardware(data: Any, endpoint: str) -> list[HardwareInfo]:
    return [HardwareInfo.from_json(item) for item in data or []]


def parse_timeout(timeout: int | float | str | None) -> int | None:
    """``300``, ``"90s"``, ``"5m"``, ``"1.5h"``, ``"2d"`` -> seconds; no timeout (``None``, 0) -> None."""
    return timeout_seconds(timeout) if timeout else None


def sanitize_job_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "-", name)


def _short_hash(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:8]


def default_job_name(image: str, command: Sequence[str]) -> str:
    """The name the official client gives a Job that has none: ``python-3-12-1a2b3c4d``."""
    for prefix in SPACE_IMAGE_PREFIXES:
        if image.startswith(prefix):
            base = sanitize_job_name(image[len(prefix) :] or image)
            break
    else:
        base = sanitize_job_name(image.rstrip("/").split("/")[-1] or image)
    return f"{base}-{_short_hash([image, *command])}"


def default_script_name(script: str, script_args: Sequence[str]) -> str:
    if is_inline_script(script):
        return f"inline-script-{_short_hash([script, *script_args])}"
    name = script.split("?", 1)[0].split("#", 1)[0].rstrip("/").split("/")[-1]
    name = name.removesuffix(".py")
    return f"{sanitize_job_name(name or script)}-{_short_hash([script, *script_args])}"


def is_inline_script(script: str) -> bool:
    """A script given as its text rather than a URL or command: it has more than one line."""
    return "\n" in script.strip()


@dataclass(frozen=True)
class JobSpec:
    """What a Job runs: the official client's ``run_job`` arguments (less ``namespace``), in one place.

    ``to_json`` is the body of ``POST /api/jobs/{namespace}`` (and a scheduled Job's ``jobSpec``).
    """

    image: str
    command: Sequence[str]
    env: Mapping[str, Any] | None = None
    secrets: Mapping[str, Any] | None = None
    flavor: str | None = None
    timeout: int | float | str | None = None
    labels: Mapping[str, str] | None = None
    volumes: Sequence[Volume] | None = None
    name: str | None = None
    attempts: int | None = None

    def __post_init__(self) -> None:
        if self.name is not None and self.labels is not None and "name" in self.labels:
            raise ValueError("`name` and the `name` key in `labels` cannot both be provided.")

    def to_json(self) -> JsonDict:
        """The request body, key order and defaults as the official client's."""
        name = self.name
        if name is None and not (self.labels and "name" in self.labels):
            name = default_job_name(self.image, self.command)
        all_labels = {**(self.labels or {}), **({"name": name} if name is not None else {})}
        spec: JsonDict = {
            "command": list(self.command),
            "arguments": [],
            "environment": dict(self.env or {}),
            "flavor": self.flavor or DEFAULT_JOB_FLAVOR,
        }
        if self.secrets:
            spec["secrets"] = dict(self.secrets)
        seconds = parse_timeout(self.timeout)
        if seconds:
            spec["timeoutSeconds"] = seconds
        if self.attempts is not None:
            spec["attempts"] = self.attempts
        if all_labels:
            spec["labels"] = all_labels
        if self.volumes:
            spec["volumes"] = [volume.to_json() for volume in self.volumes]
        for prefix in SPACE_IMAGE_PREFIXES:
            if self.image.startswith(prefix):
                spec["spaceId"] = self.image[len(prefix) :]
                break
        else:
            spec["dockerImage"] = self.image
        return spec


INLINE_SCRIPT_ENV = "HFHUB_INLINE_SCRIPT_B64"
INLINE_SCRIPT_PATH = "/tmp/hfhub_inline_script.py"
_INLINE_RUNNER = f'printf %s "${INLINE_SCRIPT_ENV}" | base64 -d > {INLINE_SCRIPT_PATH} && exec uv run "$@"'


def uv_command(
    script: str,
    script_args: Sequence[str] = (),
    dependencies: Sequence[str] = (),
    python: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The command (and extra env) of a uv Job.

    A URL or command runs as the official client runs it: ``uv run --with dep --python X script args``.
    An inline script (its text) travels base64-encoded in an environment variable and is written
    to a file in the container, so PEP 723 metadata still works and nothing is uploaded.
    """
    uv_args = [arg for dep in dependencies for arg in ("--with", dep)]
    if python:
        uv_args += ["--python", python]
    if not is_inline_script(script):
        return ["uv", "run", *uv_args, script, *script_args], {}
    encoded = base64.b64encode(script.encode()).decode()
    command = ["bash", "-c", _INLINE_RUNNER, "uv", *uv_args, INLINE_SCRIPT_PATH, *script_args]
    return command, {INLINE_SCRIPT_ENV: encoded}


# --- account -----------------------------------------------------------------------------------


def whoami() -> Call[JsonDict]:
    return Call("GET", "/api/whoami-v2", _json)


# --- jobs --------------------------------------------------------------------------------------


def run_job(
    spec: JobSpec, namespace: str | None, unique_labels: Mapping[str, str] | None = None
) -> Call[JobInfo]:
    """``POST /api/jobs``.

    :param unique_labels: labels no other Job carries, added to the spec's; when the answer to the
        create is lost, the Job is looked up by them before it is sent again (``flows.create``).
    """
    find = None
    if unique_labels:
        spec = replace(spec, labels={**(spec.labels or {}), **unique_labels})
        find = list_jobs(namespace, unique_labels)
    body = spec.to_json()
    return Call(
        "POST", "/api/jobs/{namespace}", _job, json=body, namespace=namespace, creates=True, find=find
    )


def inspect_job(job_id: str, namespace: str | None) -> Call[JobInfo]:
    return Call("GET", f"/api/jobs/{{namespace}}/{job_id}", _job, namespace=namespace)


def list_jobs(
    namespace: str | None, labels: Mapping[str, str] | None = None, stages: Sequence[str] | None = None
) -> Call[list[JobInfo]]:
    params = tuple(("stage", str(stage).upper()) for stage in stages or ()) + tuple(
        ("label", f"{key}={value}") for key, value in (labels or {}).items()
    )
    return Call("GET", "/api/jobs/{namespace}", _jobs, params=params, namespace=namespace)


def cancel_job(job_id: str, namespace: str | None) -> Call[None]:
    return Call("POST", f"/api/jobs/{{namespace}}/{job_id}/cancel", _ignore, namespace=namespace)


def job_logs(job_id: str, namespace: str | None, tail: int | None = None) -> Call[None]:
    params = (("tail", str(tail)),) if tail is not None else ()
    return Call("GET", f"/api/jobs/{{namespace}}/{job_id}/logs", _ignore, params=params, namespace=namespace)


def job_metrics(job_id: str, namespace: str | None) -> Call[None]:
    return Call("GET", f"/api/jobs/{{namespace}}/{job_id}/metrics", _ignore, namespace=namespace)


def list_jobs_hardware() -> Call[list[HardwareInfo]]:
    return Call("GET", "/api/jobs/hardware", _hardware)


def create_scheduled_job(
    spec: JobSpec, schedule: str, namespace: str | None, suspend: bool | None, concurrency: bool | None
) -> Call[ScheduledJobInfo]:
    body: JsonDict = {"jobSpec": spec.to_json(), "schedule": schedule}
    if concurrency is not None:
        body["concurrency"] = concurrency
    if suspend is not None:
        body["suspend"] = suspend
    return Call(
        "POST", "/api/scheduled-jobs/{namespace}", _scheduled, json=body, namespace=namespace, creates=True
    )


def list_scheduled_jobs(namespace: str | None) -> Call[list[ScheduledJobInfo]]:
    return Call("GET", "/api/scheduled-jobs/{namespace}", _scheduled_list, namespace=namespace)


def inspect_scheduled_job(scheduled_job_id: str, namespace: str | None) -> Call[ScheduledJobInfo]:
    return Call(
        "GET", f"/api/scheduled-jobs/{{namespace}}/{scheduled_job_id}", _scheduled, namespace=namespace
    )


def scheduled_job_action(scheduled_job_id: str, action: str, namespace: str | None) -> Call[None]:
    """``suspend`` or ``resume``."""
    return Call(
        "POST", f"/api/scheduled-jobs/{{namespace}}/{scheduled_job_id}/{action}", _ignore, namespace=namespace
    )


def trigger_scheduled_job(scheduled_job_id: str, namespace: str | None) -> Call[JobInfo]:
    return Call(
        "POST",
        f"/api/scheduled-jobs/{{namespace}}/{scheduled_job_id}/run",
        _job,
        namespace=namespace,
        creates=True,
    )


def delete_scheduled_job(scheduled_job_id: str, namespace: str | None) -> Call[None]:
    return Call(
        "DELETE", f"/api/scheduled-jobs/{{namespace}}/{scheduled_job_id}", _ignore, namespace=namespace
    )


# --- spaces ------------------------------------------------------------------------------------


def get_space_runtime(repo_id: str) -> Call[SpaceRuntime]:
    return Call("GET", f"/api/spaces/{repo_id}/runtime", _runtime)


def restart_space(repo_id: str, factory_reboot: bool = False) -> Call[SpaceRuntime]:
    params = (("factory", "true"),) if factory_reboot else ()
    return Call("POST", f"/api/spaces/{repo_id}/restart", _runtime, params=params)


def pause_space(repo_id: str) -> Call[SpaceRuntime]:
    return Call("POST", f"/api/spaces/{repo_id}/pause", _runtime)


def request_space_hardware(repo_id: str, hardware: str, sleep_time: int | None = None) -> Call[SpaceRuntime]:
    body: JsonDict = {"flavor": hardware}
    if sleep_time is not None:
        body["sleepTimeSeconds"] = sleep_time
    return Call("POST", f"/api/spaces/{repo_id}/hardware", _runtime, json=body)


def set_space_sleep_time(repo_id: str, sleep_time: int) -> Call[SpaceRuntime]:
    return Call("POST", f"/api/spaces/{repo_id}/sleeptime", _runtime, json={"seconds": sleep_time})


def request_space_storage(repo_id: str, storage: str) -> Call[SpaceRuntime]:
    return Call("POST", f"/api/spaces/{repo_id}/storage", _runtime, json={"tier": storage})


def delete_space_storage(repo_id: str) -> Call[SpaceRuntime]:
    return Call("DELETE", f"/api/spaces/{repo_id}/storage", _runtime)


def set_space_volumes(repo_id: str, volumes: Sequence[Volume]) -> Call[None]:
    body = {"volumes": [volume.to_json() for volume in volumes]}
    return Call("PUT", f"/api/spaces/{repo_id}/volumes", _ignore, json=body)


def delete_space_volumes(repo_id: str) -> Call[None]:
    return Call("DELETE", f"/api/spaces/{repo_id}/volumes", _ignore)


def add_space_secret(repo_id: str, key: str, value: str, description: str | None = None) -> Call[None]:
    body: JsonDict = {"key": key, "value": value}
    if description is not None:
        body["description"] = description
    return Call("POST", f"/api/spaces/{repo_id}/secrets", _ignore, json=body)


def delete_space_secret(repo_id: str, key: str) -> Call[None]:
    return Call("DELETE", f"/api/spaces/{repo_id}/secrets", _ignore, json={"key": key})


def get_space_variables(repo_id: str) -> Call[dict[str, Any]]:
    return Call("GET", f"/api/spaces/{repo_id}/variables", _json)


def add_space_variable(
    repo_id: str, key: str, value: str, description: str | None = None
) -> Call[dict[str, Any]]:
    body: JsonDict = {"key": key, "value": value}
    if description is not None:
        body["description"] = description
    return Call("POST", f"/api/spaces/{repo_id}/variables", _json, json=body)


def delete_space_variable(repo_id: str, key: str) -> Call[dict[str, Any]]:
    return Call("DELETE", f"/api/spaces/{repo_id}/variables", _json, json={"key": key})


def duplicate_space(
    from_id: str,
    to_id: str,
    *,
    private: bool | None = None,
    hardware: str | None = None,
    storage: str | None = None,
    sleep_time: int | None = None,
    secrets: Sequence[Mapping[str, str]] | None = None,
    variables: Sequence[Mapping[str, str]] | None = None,
) -> Call[JsonDict]:
    """``to_id`` must carry its namespace (the client fills it from ``whoami`` when it does not)."""
    body: JsonDict = {"repository": to_id}
    if private is not None:
        body["visibility"] = "private" if private else "public"
    if hardware:
        body["hardware"] = hardware
    if storage:
        body["storageTier"] = storage
    if sleep_time is not None:
        body["sleepTimeSeconds"] = sleep_time
    if secrets:
        body["secrets"] = [dict(item) for item in secrets]
    if variables:
        body["variables"] = [dict(item) for item in variables]
    return Call("POST", f"/api/spaces/{from_id}/duplicate", _json, json=body, creates=True)


def space_logs(repo_id: str, build: bool) -> Call[None]:
    return Call("GET", f"/api/spaces/{repo_id}/logs/{'build' if build else 'run'}", _ignore)


def list_spaces_hardware() -> Call[list[HardwareInfo]]:
    return Call("GET", "/api/spaces/hardware", _hardware)
