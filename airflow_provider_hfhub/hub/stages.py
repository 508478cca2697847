"""Job and Space stages, and the hardware flavors the Hub knows.

Stages are string enums that accept any value: the Hub sends stages no client lists (``SLEEPING``),
and an unknown stage must pass through as its string, never crash a task.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class _OpenStrEnum(str, Enum):
    """A string enum whose unknown values become pseudo-members instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)


class JobStage(_OpenStrEnum):
    SCHEDULING = "SCHEDULING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    ERROR = "ERROR"
    DELETED = "DELETED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_JOB_STAGES

    @property
    def is_success(self) -> bool:
        return self is JobStage.COMPLETED


_TERMINAL_JOB_STAGES = frozenset({JobStage.COMPLETED, JobStage.CANCELED, JobStage.ERROR, JobStage.DELETED})


class SpaceStage(_OpenStrEnum):
    NO_APP_FILE = "NO_APP_FILE"
    CONFIG_ERROR = "CONFIG_ERROR"
    BUILDING = "BUILDING"
    BUILD_ERROR = "BUILD_ERROR"
    RUNNING = "RUNNING"
    RUNNING_BUILDING = "RUNNING_BUILDING"
    RUNTIME_ERROR = "RUNTIME_ERROR"
    DELETING = "DELETING"
    STOPPED = "STOPPED"
    PAUSED = "PAUSED"
    APP_STARTING = "APP_STARTING"
    RUNNING_APP_STARTING = "RUNNING_APP_STARTING"
    SLEEPING = "SLEEPING"

    @property
    def is_error(self) -> bool:
        return self in _ERROR_SPACE_STAGES

    @property
    def is_transitional(self) -> bool:
        """Building or starting: the Space is on its way to RUNNING (or an error)."""
        return self in _TRANSITIONAL_SPACE_STAGES


_ERROR_SPACE_STAGES = frozenset(
    {SpaceStage.BUILD_ERROR, SpaceStage.RUNTIME_ERROR, SpaceStage.CONFIG_ERROR, SpaceStage.NO_APP_FILE}
)
_TRANSITIONAL_SPACE_STAGES = frozenset(
    {
        SpaceStage.BUILDING,
        SpaceStage.RUNNING_BUILDING,
        SpaceStage.APP_STARTING,
        SpaceStage.RUNNING_APP_STARTING,
    }
)

# Known flavors (huggingface_hub 2.4.0). The Hub's live lists (/api/jobs/hardware,
# /api/spaces/hardware) are authoritative; these are the fallback when they cannot be read.
JOB_FLAVORS: tuple[str, ...] = (
    "cpu-basic", "cpu-upgrade", "cpu-performance", "cpu-xl",
    "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1", "l40sx4", "l40sx8",
    "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4",
    "a100-large", "a100x4", "a100x8", "h200", "h200x2", "h200x4", "h200x8",
    "rtx-pro-6000", "rtx-pro-6000x2", "rtx-pro-6000x4", "rtx-pro-6000x8",
)  # fmt: skip
SPACE_HARDWARE: tuple[str, ...] = (
    "cpu-basic", "cpu-upgrade", "zero-a10g", "t4-small", "t4-medium", "l4x1", "l4x4",
    "l40sx1", "l40sx4", "l40sx8", "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4",
    "a100-large", "a100x4", "a100x8", "rtx-pro-6000", "rtx-pro-6000x2", "rtx-pro-6000x4", "rtx-pro-6000x8",
)  # fmt: skip
SPACE_STORAGE_TIERS: tuple[str, ...] = ("small", "medium", "large")
DEFAULT_JOB_FLAVOR = "cpu-basic"
