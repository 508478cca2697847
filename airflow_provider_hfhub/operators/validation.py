"""Checks on operator arguments, run before any Hub call; each error says what to fix.

Cheap to import (no httpx): DAG files import operators at parse time.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from airflow_provider_hfhub.hub.stages import JOB_FLAVORS, SPACE_HARDWARE, SPACE_STORAGE_TIERS

# Docker reference: [registry[:port]/]name[/more][:tag][@digest], lower-case path components.
_DOCKER_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
_SPACE_IMAGE = re.compile(r"^(?:https://)?(?:huggingface\.co|hf\.co)/spaces/[\w.-]+/[\w.-]+$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
_LABEL = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_TIMEOUT = re.compile(r"^\d+(?:\.\d+)?[smhd]?$")
LABEL_PREFIX = "airflow-"


def check_image(image: object) -> str:
    if not isinstance(image, str) or not (_DOCKER_IMAGE.match(image) or _SPACE_IMAGE.match(image)):
        raise ValueError(
            f"image {image!r} is neither a Docker image (e.g. 'python:3.12', 'ghcr.io/org/img:tag') "
            "nor a Space (e.g. 'hf.co/spaces/user/name')"
        )
    return image


def check_command(command: object) -> list[str]:
    if isinstance(command, str):
        raise ValueError(
            f"command must be a list of strings, e.g. ['python', '-c', 'print(1)'], not the string {command!r}"
        )
    if not isinstance(command, Sequence) or not command or not all(isinstance(arg, str) for arg in command):
        raise ValueError(f"command must be a non-empty list of strings, got {command!r}")
    return list(command)


def check_timeout(timeout: object) -> int | float | str | None:
    """``None``, seconds (``300``) or a duration string (``"90s"``, ``"30m"``, ``"2h"``, ``"1d"``)."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float, str)):
        raise ValueError(f"timeout must be seconds or a string like '30m', got {timeout!r}")
    if isinstance(timeout, str) and not _TIMEOUT.match(timeout):
        raise ValueError(
            f"timeout {timeout!r} is not a duration: use seconds or a number with s, m, h or d ('30m')"
        )
    if float(str(timeout).rstrip("smhd")) <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return timeout


def check_labels(labels: object) -> dict[str, str]:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise ValueError(f"labels must be a dict of strings, got {labels!r}")
    for key, value in labels.items():
        for what, text in (("key", key), ("value", value)):
            if not isinstance(text, str) or not _LABEL.match(text):
                raise ValueError(
                    f"label {what} {text!r} is invalid: the Hub accepts 1-100 letters, digits, '-' and '_'"
                )
        if key.startswith(LABEL_PREFIX):
            raise ValueError(
                f"label key {key!r}: keys starting with {LABEL_PREFIX!r} are set by the provider"
            )
    return dict(labels)


def check_env(name: str, values: object) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, Mapping) or not all(isinstance(k, str) and k for k in values):
        raise ValueError(f"{name} must be a dict of environment variable names to values, got {type(values)}")
    return {key: str(value) for key, value in values.items()}


def check_flavor(flavor: object, known: Iterable[str] = JOB_FLAVORS, what: str = "flavor") -> str:
    names = sorted(set(known))
    if not isinstance(flavor, str) or flavor not in names:
        raise ValueError(f"unknown {what} {flavor!r}; valid values: {', '.join(names)}")
    return flavor


def check_repo_id(repo_id: object) -> str:
    if not isinstance(repo_id, str) or not _REPO_ID.match(repo_id):
        raise ValueError(f"repo_id {repo_id!r} must look like 'namespace/space-name'")
    return repo_id


def check_space_hardware(hardware: object, known: Iterable[str] = SPACE_HARDWARE) -> str:
    return check_flavor(hardware, known, what="Space hardware")


def check_storage(storage: object) -> str:
    return check_flavor(storage, SPACE_STORAGE_TIERS, what="storage tier")


def check_sleep_time(sleep_time: object) -> int:
    """Seconds of inactivity before a Space sleeps; -1 means never."""
    if (
        isinstance(sleep_time, bool)
        or not isinstance(sleep_time, int)
        or (sleep_time < 60 and sleep_time != -1)
    ):
        raise ValueError(f"sleep_time must be -1 (never) or at least 60 seconds, got {sleep_time!r}")
    return sleep_time


def is_templated(value: Any) -> bool:
    """A Jinja string not rendered yet, or a dict or list holding one: checked again at execute time."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, Mapping):
        return any(is_templated(key) or is_templated(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(is_templated(item) for item in value)
    return False


def label_value(text: str) -> str:
    """Fit any text into the Hub's label charset; a hash keeps distinct texts distinct."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", text)
    if safe == text and len(text) <= 100:
        return text
    return f"{safe[:91]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def task_labels(dag_id: str, task_id: str, run_id: str, map_index: int | None) -> dict[str, str]:
    """Labels naming the task instance that owns a Job: how a retry finds its Job again."""
    return {
        f"{LABEL_PREFIX}dag": label_value(dag_id),
        f"{LABEL_PREFIX}task": label_value(task_id),
        f"{LABEL_PREFIX}run": label_value(run_id),
        f"{LABEL_PREFIX}map-index": str(map_index if map_index is not None else -1),
    }


def execution_deadline(execution_timeout: timedelta | None, ti: Any) -> float | None:
    """The task's absolute deadline (epoch seconds), carried into triggers: Airflow does not enforce
    ``execution_timeout`` while a task is deferred."""
    if execution_timeout is None:
        return None
    started = getattr(ti, "start_date", None)
    start = started.timestamp() if started is not None else time.time()
    return start + execution_timeout.total_seconds()
