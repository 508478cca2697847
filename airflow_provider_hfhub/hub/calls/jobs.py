"""Job and scheduled-Job calls, and what a Job runs (``JobSpec``, the uv command, default names).

Request shapes match the official ``huggingface_hub`` client (2.4) byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from airflow_provider_hfhub.hub.calls._call import Call, hardware_list, ignore
from airflow_provider_hfhub.hub.config import INLINE_SCRIPT_ENV
from airflow_provider_hfhub.hub.models import HardwareInfo, JobInfo, JsonDict, ScheduledJobInfo, Volume
from airflow_provider_hfhub.hub.stages import DEFAULT_JOB_FLAVOR
from airflow_provider_hfhub.hub.timeouts import timeout_seconds

SPACE_IMAGE_PREFIXES = (
    "https://huggingface.co/spaces/",
    "https://hf.co/spaces/",
    "huggingface.co/spaces/",
    "hf.co/spaces/",
)


def _job(data: Any, endpoint: str) -> JobInfo:
    return JobInfo.from_json(data, endpoint=endpoint)


def _jobs(data: Any, endpoint: str) -> list[JobInfo]:
    return [JobInfo.from_json(item, endpoint=endpoint) for item in data or []]


def _scheduled(data: Any, endpoint: str) -> ScheduledJobInfo:
    return ScheduledJobInfo.from_json(data)


def _scheduled_list(data: Any, endpoint: str) -> list[ScheduledJobInfo]:
    return [ScheduledJobInfo.from_json(item) for item in data or []]


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


INLINE_SCRIPT_PATH = "/tmp/hfhub_inline_script.py"
# Written to a directory of its own, which stands in for the path in the arguments: two Jobs on one
# machine (the fake Hub's local processes) never overwrite each other's script.
_INLINE_RUNNER = (
    f'd=$(mktemp -d) && printf %s "${INLINE_SCRIPT_ENV}" | base64 -d > "$d/hfhub_inline_script.py" '
    '&& exec uv run "${@/#\\/tmp\\/hfhub_inline_script.py/$d/hfhub_inline_script.py}"'
)


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
    return Call("POST", f"/api/jobs/{{namespace}}/{job_id}/cancel", ignore, namespace=namespace)


def job_logs(job_id: str, namespace: str | None, tail: int | None = None) -> Call[None]:
    params = (("tail", str(tail)),) if tail is not None else ()
    return Call("GET", f"/api/jobs/{{namespace}}/{job_id}/logs", ignore, params=params, namespace=namespace)


def job_metrics(job_id: str, namespace: str | None) -> Call[None]:
    return Call("GET", f"/api/jobs/{{namespace}}/{job_id}/metrics", ignore, namespace=namespace)


def list_jobs_hardware() -> Call[list[HardwareInfo]]:
    return Call("GET", "/api/jobs/hardware", hardware_list)


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
        "POST", f"/api/scheduled-jobs/{{namespace}}/{scheduled_job_id}/{action}", ignore, namespace=namespace
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
        "DELETE", f"/api/scheduled-jobs/{{namespace}}/{scheduled_job_id}", ignore, namespace=namespace
    )
