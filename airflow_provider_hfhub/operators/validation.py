"""Checks on operator arguments, run before any Hub call; each error says what to fix.

Cheap to import (no httpx): DAG files import operators at parse time.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from enum import Enum
from typing import Any

from airflow_provider_hfhub.hub.config import MAX_INLINE_SCRIPT_BYTES, check_namespace
from airflow_provider_hfhub.hub.stages import JOB_FLAVORS, SPACE_HARDWARE, SPACE_STORAGE_TIERS
from airflow_provider_hfhub.hub.timeouts import timeout_seconds

__all__ = ["check_namespace"]  # re-exported: operators check namespaces with the config's rule

# Docker reference: [registry[:port]/]name[/more][:tag][@digest], lower-case path components.
_DOCKER_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
_REPO_PART = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}"
# Exactly the prefixes the request builder turns into ``spaceId`` (hub/calls/jobs.py), then user/name.
_SPACE_IMAGE = re.compile(rf"^(?:https://)?(?:huggingface\.co|hf\.co)/spaces/{_REPO_PART}/{_REPO_PART}$")
_HUB_HOSTS = ("huggingface.co/", "hf.co/")
_REPO_ID = re.compile(rf"^{_REPO_PART}/{_REPO_PART}$")
_LABEL = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# uv runs a URL, a command on PATH, or (not here: nothing is uploaded) a local file.
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
_UV_COMMAND = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+@=-]*$")
# What the official client takes for local files (and notebooks).
_LOCAL_FILE_SUFFIXES = (".py", ".sh", ".yaml", ".yml", ".toml", ".ipynb")
LABEL_PREFIX = "airflow-"


def check_image(image: object) -> str:
    if isinstance(image, str) and image.lower().removeprefix("https://").startswith(_HUB_HOSTS):
        # Also a valid Docker reference (registry hf.co), but the builder sends it as a Space.
        if not _SPACE_IMAGE.match(image):
            raise ValueError(
                f"image {image!r} names the Hub but not a Space: write 'hf.co/spaces/<user>/<space-name>'"
            )
        return image
    if not isinstance(image, str) or not _DOCKER_IMAGE.match(image):
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
    """``None``, whole seconds (``300``) or a duration (``"90s"``, ``"30m"``, ``"1.5h"``, ``"1d"``).

    The request builder reads it with the same function, so an accepted value is sent as meant.
    """
    if timeout is not None:
        timeout_seconds(timeout)
    return timeout  # type: ignore[return-value]


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


def check_env(name: str, values: object, *, text_only: bool = False) -> dict[str, str]:
    """Environment variables as sent: names a shell accepts, values text.

    Numbers are taken as Python writes them (``3``, ``0.91``: what native Jinja rendering turns
    such strings into); ``True``, ``None``, dicts and lists are refused rather than sent as
    ``"True"`` or a Python repr. ``text_only``: strings only (values sent as given, e.g. secrets).
    """
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise ValueError(f"{name} must be a dict of environment variable names to values, got {type(values)}")
    result = {}
    for key, value in values.items():
        if not isinstance(key, str) or not _ENV_NAME.match(key):
            raise ValueError(
                f"{name} name {key!r} is invalid: environment variable names have letters, digits and "
                "'_', and do not start with a digit"
            )
        number = not text_only and (
            (isinstance(value, int) and not isinstance(value, bool))
            or (isinstance(value, float) and math.isfinite(value))
        )
        if not (isinstance(value, str) or number):
            kinds = "a string" if text_only else "a string or a number"
            raise ValueError(
                f"{name}[{key!r}] is {value!r} ({type(value).__name__}): give {kinds}, as the program "
                "should read it (e.g. 'true' or '1' for a flag, json.dumps(...) for a structure)"
            )
        result[key] = str(value)
    return result


def check_uv_script(script: object) -> str:
    """A script URL, a command on the image's PATH, or the script's text (more than one line).

    The official client uploads a local file first; this provider does not, so a path would start a
    paid Job that fails on the Hub: it is refused here.
    """
    if not isinstance(script, str) or not script.strip():
        raise ValueError("script must be a script URL, a command, or the script's text")
    if "\n" in script.strip():
        size = len(script.encode())
        if size > MAX_INLINE_SCRIPT_BYTES:
            raise ValueError(
                f"the inline script is {size} bytes; the Job receives it in one environment variable, "
                f"which holds at most {MAX_INLINE_SCRIPT_BYTES} bytes of script: put it at a URL instead"
            )
        return script
    if _URL.match(script):
        return script
    if re.search(r"[/\\]", script) or script.startswith((".", "~")) or script.endswith(_LOCAL_FILE_SUFFIXES):
        raise ValueError(
            f"script {script!r} looks like a local file, which the Hub Job cannot read: read it yourself "
            "and pass its text (script=Path(...).read_text()), or give a URL to it"
        )
    if not _UV_COMMAND.match(script):
        raise ValueError(
            f"script {script!r} is neither a URL, a command name, nor a script's text (more than one "
            "line): put arguments in script_args, and a one-line script on lines of its own"
        )
    return script


def check_target_stages(stages: object, known: type[Enum], what: str) -> list[str]:
    """A sensor's targets, upper-cased: known stages only (stages read from the Hub may be any)."""
    if isinstance(stages, str) or not isinstance(stages, Iterable):
        raise ValueError(f"target_stages must be a non-empty list of stages, got {stages!r}")
    names = [member.value for member in known]
    given = [stage.upper() if isinstance(stage, str) else stage for stage in stages]
    unknown = [stage for stage in given if stage not in names]
    if not given or unknown:
        raise ValueError(
            f"target_stages {unknown or given!r}: not {what} stages; valid stages: {', '.join(names)}"
        )
    return given


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
