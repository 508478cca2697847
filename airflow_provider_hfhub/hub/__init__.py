"""The Hugging Face Hub's Jobs and Spaces API, with no Airflow import (a test checks it).

``calls`` describes each endpoint once; ``flows`` holds multi-step conversations (pagination,
creating paid work at most once, log follow); ``transport`` (written once as async, the sync form generated) is the only code that
sends; ``HubClient`` / ``AsyncHubClient`` are the public faces, with the same methods and signatures.

Names are imported lazily: DAG files import operators at parse time, and those should not pay for
httpx and tenacity until a task runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_hfhub.hub.async_client import AsyncHubClient
    from airflow_provider_hfhub.hub.calls import JobSpec
    from airflow_provider_hfhub.hub.client import HubClient
    from airflow_provider_hfhub.hub.config import HubConfig, RetryPolicy, StreamPolicy
    from airflow_provider_hfhub.hub.errors import (
        AuthenticationError,
        BadRequestError,
        ConflictError,
        ForbiddenError,
        HubError,
        HubOutcomeError,
        HubResponseError,
        HubStatusError,
        HubTransportError,
        JobFailedError,
        NotFoundError,
        RateLimitedError,
        ServerError,
        SpaceFailedError,
    )
    from airflow_provider_hfhub.hub.models import (
        HardwareInfo,
        JobInfo,
        JobOwner,
        JobStatus,
        LogLine,
        RepoCommit,
        RepoInfo,
        ScheduledJobInfo,
        SpaceRuntime,
        Volume,
    )
    from airflow_provider_hfhub.hub.stages import (
        JOB_FLAVORS,
        SPACE_HARDWARE,
        SPACE_STORAGE_TIERS,
        JobStage,
        SpaceStage,
    )

_EXPORTS = {
    "AsyncHubClient": "async_client",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "ConflictError": "errors",
    "ForbiddenError": "errors",
    "HardwareInfo": "models",
    "HubClient": "client",
    "HubConfig": "config",
    "RetryPolicy": "config",
    "StreamPolicy": "config",
    "HubError": "errors",
    "HubOutcomeError": "errors",
    "HubResponseError": "errors",
    "HubStatusError": "errors",
    "HubTransportError": "errors",
    "JOB_FLAVORS": "stages",
    "JobFailedError": "errors",
    "JobInfo": "models",
    "JobOwner": "models",
    "JobSpec": "calls",
    "JobStage": "stages",
    "JobStatus": "models",
    "LogLine": "models",
    "NotFoundError": "errors",
    "RateLimitedError": "errors",
    "SPACE_HARDWARE": "stages",
    "SPACE_STORAGE_TIERS": "stages",
    "RepoCommit": "models",
    "RepoInfo": "models",
    "ScheduledJobInfo": "models",
    "ServerError": "errors",
    "SpaceFailedError": "errors",
    "SpaceRuntime": "models",
    "SpaceStage": "stages",
    "Volume": "models",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)


__all__ = [
    "JOB_FLAVORS",
    "SPACE_HARDWARE",
    "SPACE_STORAGE_TIERS",
    "AsyncHubClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "HardwareInfo",
    "HubClient",
    "HubConfig",
    "HubError",
    "HubOutcomeError",
    "HubResponseError",
    "HubStatusError",
    "HubTransportError",
    "JobFailedError",
    "JobInfo",
    "JobOwner",
    "JobSpec",
    "JobStage",
    "JobStatus",
    "LogLine",
    "NotFoundError",
    "RateLimitedError",
    "RepoCommit",
    "RepoInfo",
    "RetryPolicy",
    "ScheduledJobInfo",
    "ServerError",
    "SpaceFailedError",
    "SpaceRuntime",
    "SpaceStage",
    "StreamPolicy",
    "Volume",
]
