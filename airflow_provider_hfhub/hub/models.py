"""Value objects parsed from the Hub's JSON.

Reading is tolerant: unknown stages, flavors and fields pass through (``raw`` keeps the whole
object); only a missing identity (a Job without ``id``) is an error. No Airflow imports here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from airflow_provider_hfhub.hub.errors import HubResponseError
from airflow_provider_hfhub.hub.stages import JobStage, SpaceStage

JsonDict = dict[str, Any]


def parse_datetime(value: object) -> datetime | None:
    """Parse the Hub's ISO-8601 timestamps (``...Z``, fraction optional); anything else gives None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00") if value.endswith("Z") else value
    head, dot, rest = text.partition(".")
    if dot:  # datetime.fromisoformat on 3.10 wants 3 or 6 fraction digits
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_datetime(value: datetime | None) -> str | None:
    """The Hub's wire form: UTC, milliseconds, ``Z``."""
    if value is None:
        return None
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _require(data: object, key: str, what: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise HubResponseError(f"The Hub returned a {what} without {key!r}: {str(data)[:200]}")
    return data[key]


@dataclass(frozen=True)
class Volume:
    """A bucket or repo mounted into a Job or Space container."""

    source: str
    mount_path: str
    type: str = "model"
    revision: str | None = None
    read_only: bool | None = None
    path: str | None = None

    @classmethod
    def from_json(cls, data: JsonDict) -> Volume:
        mount_path = data.get("mountPath", data.get("mount_path"))
        read_only = data.get("readOnly", data.get("read_only"))
        return cls(
            source=str(data.get("source", "")),
            mount_path=str(mount_path or ""),
            type=str(data.get("type", "model")),
            revision=data.get("revision"),
            read_only=read_only,
            path=data.get("path"),
        )

    def to_json(self) -> JsonDict:
        body: JsonDict = {"type": self.type, "source": self.source, "mountPath": self.mount_path}
        if self.revision is not None:
            body["revision"] = self.revision
        if self.read_only is not None:
            body["readOnly"] = self.read_only
        if self.path is not None:
            body["path"] = self.path
        return body


def _volumes(data: object) -> list[Volume] | None:
    if not isinstance(data, list):
        return None
    return [Volume.from_json(item) for item in data if isinstance(item, dict)]


@dataclass(frozen=True)
class JobStatus:
    stage: JobStage
    message: str | None = None


@dataclass(frozen=True)
class JobOwner:
    id: str
    name: str
    type: str

    @classmethod
    def from_json(cls, data: JsonDict | None) -> JobOwner:
        data = data or {}
        return cls(id=str(data.get("id", "")), name=str(data.get("name", "")), type=str(data.get("type", "")))


@dataclass(frozen=True)
class JobInfo:
    """A Job as the Hub reports it; ``url`` is its page on the Hub."""

    id: str
    status: JobStatus
    owner: JobOwner
    url: str
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    docker_image: str | None = None
    space_id: str | None = None
    command: list[str] | None = None
    arguments: list[str] | None = None
    environment: dict[str, Any] | None = None
    secrets: dict[str, Any] | None = None
    flavor: str | None = None
    labels: dict[str, str] | None = None
    volumes: list[Volume] | None = None
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @property
    def stage(self) -> JobStage:
        return self.status.stage

    @classmethod
    def from_json(cls, data: JsonDict, *, endpoint: str) -> JobInfo:
        job_id = str(_require(data, "id", "Job"))
        status = data.get("status") or {}
        owner = JobOwner.from_json(data.get("owner"))
        return cls(
            id=job_id,
            status=JobStatus(JobStage(str(status.get("stage", "SCHEDULING"))), status.get("message")),
            owner=owner,
            url=f"{endpoint}/jobs/{owner.name}/{job_id}",
            created_at=parse_datetime(data.get("createdAt")),
            started_at=parse_datetime(data.get("startedAt")),
            finished_at=parse_datetime(data.get("finishedAt")),
            docker_image=data.get("dockerImage"),
            space_id=data.get("spaceId"),
            command=data.get("command"),
            arguments=data.get("arguments"),
            environment=data.get("environment"),
            secrets=data.get("secrets"),
            flavor=data.get("flavor"),
            labels=data.get("labels"),
            volumes=_volumes(data.get("volumes")),
            raw=data,
        )


@dataclass(frozen=True)
class ScheduledJobInfo:
    id: str
    schedule: str | None
    suspend: bool | None
    concurrency: bool | None
    job_spec: JsonDict
    owner: JobOwner
    created_at: datetime | None = None
    last_job_id: str | None = None
    next_job_run_at: datetime | None = None
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JsonDict) -> ScheduledJobInfo:
        status = data.get("status") or {}
        last_job = status.get("lastJob") or status.get("last_job") or {}
        return cls(
            id=str(_require(data, "id", "scheduled Job")),
            schedule=data.get("schedule"),
            suspend=data.get("suspend"),
            concurrency=data.get("concurrency"),
            job_spec=data.get("jobSpec") or data.get("job_spec") or {},
            owner=JobOwner.from_json(data.get("owner")),
            created_at=parse_datetime(data.get("createdAt")),
            last_job_id=last_job.get("id"),
            next_job_run_at=parse_datetime(status.get("nextJobRunAt") or status.get("next_job_run_at")),
            raw=data,
        )


@dataclass(frozen=True)
class SpaceRuntime:
    """A Space's runtime: stage, current and requested hardware, sleep time, storage."""

    stage: SpaceStage
    hardware: str | None = None
    requested_hardware: str | None = None
    sleep_time: int | None = None
    storage: str | None = None
    error_message: str | None = None
    volumes: list[Volume] | None = None
    # The commit the current run was built from, when the Hub says (docs/hub-api.md#space-deploys).
    sha: str | None = None
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JsonDict) -> SpaceRuntime:
        hardware = data.get("hardware") or {}
        return cls(
            stage=SpaceStage(str(_require(data, "stage", "Space runtime"))),
            hardware=hardware.get("current"),
            requested_hardware=hardware.get("requested"),
            sleep_time=data.get("gcTimeout"),
            storage=data.get("storage"),
            error_message=data.get("errorMessage"),
            volumes=_volumes(data.get("volumes")),
            sha=data.get("sha"),
            raw=data,
        )


@dataclass(frozen=True)
class RepoInfo:
    """A repo's info at a revision: its commit ``sha``; for a Space, its own ``host`` and runtime."""

    id: str
    sha: str | None = None
    private: bool = False
    host: str | None = None
    runtime: SpaceRuntime | None = None
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JsonDict) -> RepoInfo:
        runtime = data.get("runtime")
        return cls(
            id=str(_require(data, "id", "repo info")),
            sha=data.get("sha"),
            private=bool(data.get("private")),
            host=data.get("host"),
            runtime=SpaceRuntime.from_json(runtime) if isinstance(runtime, dict) else None,
            raw=data,
        )


@dataclass(frozen=True)
class RepoCommit:
    """One commit of a repo's history (``GitCommitInfo`` in the official client)."""

    commit_id: str
    title: str = ""
    message: str = ""
    created_at: str | None = None

    @classmethod
    def from_json(cls, data: JsonDict) -> RepoCommit:
        return cls(
            commit_id=str(_require(data, "id", "commit")),
            title=str(data.get("title") or ""),
            message=str(data.get("message") or ""),
            created_at=data.get("date"),
        )


@dataclass(frozen=True)
class HardwareInfo:
    """One flavor from the Hub's hardware list."""

    name: str
    pretty_name: str | None = None
    accelerator: JsonDict | None = None
    unit_cost_usd: float | None = None
    unit_label: str | None = None
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JsonDict) -> HardwareInfo:
        return cls(
            name=str(_require(data, "name", "hardware entry")),
            pretty_name=data.get("prettyName"),
            accelerator=data.get("accelerator"),
            unit_cost_usd=data.get("unitCostUSD"),
            unit_label=data.get("unitLabel"),
            raw=data,
        )


@dataclass(frozen=True)
class LogLine:
    """One log line from a Job or a Space, as the Hub streamed it.

    :param stamp: the Hub's timestamp as sent; ``timestamp`` parses it on first use, since only a
        replayed stream's lines are ever asked (parsing every line cost 7 % of a log's CPU, py-spy on
        ``benchmarks.throughput``).
    """

    text: str
    stamp: str | None = None

    @functools.cached_property
    def timestamp(self) -> datetime | None:
        return parse_datetime(self.stamp)
