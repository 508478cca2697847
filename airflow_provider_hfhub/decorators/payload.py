"""The worker's side of ``@task.hfhub_job``: the script a Job runs, and its outcome read from the log.

What the Job does with the script is ``remote.py``'s; this module writes that script (the runner's
text, then one call with the function's source and arguments as literals) and reassembles the
frames the runner prints. Pure: no I/O, no Hub call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import pickle
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from airflow_provider_hfhub.hub.config import MAX_INLINE_SCRIPT_BYTES
from airflow_provider_hfhub.operators.jobs import JobError
from airflow_provider_hfhub.triggers.log_stream import FRAME_PREFIX

SERIALIZERS = ("json", "pickle")
DEFAULT_MAX_RESULT_BYTES = 1024 * 1024


class FunctionError(JobError):
    """The function raised on the Job; the message has its type, message and remote traceback.

    :ivar remote_type: the exception's qualified name (``ValueError``, ``mylib.BadSplit``).
    """

    def __init__(self, message: str, remote_type: str, remote_traceback: str) -> None:
        super().__init__(message)
        self.remote_type = remote_type
        self.remote_traceback = remote_traceback


class ResultError(JobError):
    """The function's return value did not come back: none sent, too large, unreadable."""


def encode_arguments(args: Collection[Any], kwargs: Mapping[str, Any], serializer: str, name: str) -> str:
    """The call's arguments as text: JSON, or base64 of the pickle; a clear error for one that cannot go."""
    call = {"args": list(args), "kwargs": dict(kwargs)}
    if serializer == "pickle":
        return base64.b64encode(pickle.dumps(call)).decode("ascii")
    try:
        text = json.dumps(call, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        named = [*((f"argument {i}", a) for i, a in enumerate(args)), *kwargs.items()]
        bad = next((key for key, value in named if not _is_json(value)), "an argument")
        raise ValueError(
            f"@task.hfhub_job {name}: {bad} cannot travel as JSON ({exc}); pass JSON types (str, "
            "numbers, bool, None, lists, dicts with string keys), or serializer='pickle'"
        ) from exc
    return text


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def build_script(source: str, name: str, arguments: str, serializer: str, max_result_bytes: int) -> str:
    """The Job's script: the runner, then the call; refused past what one environment variable holds."""
    runner = resources.files(__package__).joinpath("remote.py").read_text(encoding="utf-8")
    call = (source, name, arguments, serializer, FRAME_PREFIX, max_result_bytes)
    script = f"{runner}\n\nif __name__ == '__main__':\n    sys.exit(run{call!r})\n"
    size = len(script.encode())
    if size > MAX_INLINE_SCRIPT_BYTES:
        raise ValueError(
            f"@task.hfhub_job {name}: the function's source ({len(source.encode())} bytes) and its "
            f"arguments ({len(arguments.encode())} bytes as {serializer}) make a {size}-byte script, over the "
            f"{MAX_INLINE_SCRIPT_BYTES} bytes the Job's environment can carry (nothing is uploaded): pass "
            "large inputs by reference, e.g. a Hub dataset or bucket path the function reads"
        )
    return script


@dataclass
class Frames:
    """Reassembles one try's result from log lines: frames of other tries or forged ones are ignored.

    :param nonce: this try's nonce (the Job's ``HFHUB_RESULT_NONCE``).
    :param max_result_bytes: the runner's limit; frames past it (with room for the encoding) are refused.
    """

    nonce: str
    max_result_bytes: int
    chunks: dict[int, str] = field(default_factory=dict)
    total: int | None = None
    digest: str | None = None
    size: int = 0

    @property
    def prefix(self) -> str:
        return f"{FRAME_PREFIX}{self.nonce} "

    def feed(self, lines: Iterable[str]) -> Frames:
        for text in lines:
            if text.startswith(self.prefix):
                self._take(text[len(self.prefix) :].rstrip())
        return self

    def _take(self, frame: str) -> None:
        try:
            position, digest, chunk = frame.split(" ", 2)
            index, total = (int(part) for part in position.split("/"))
        except ValueError:
            raise ResultError(f"unreadable result frame {frame[:80]!r}") from None
        if (self.total, self.digest) not in ((None, None), (total, digest)) or not 0 <= index < total:
            raise ResultError("result frames of two different results: the log was not one try's")
        self.total, self.digest = total, digest
        if index not in self.chunks:
            self.size += len(chunk)
            self.chunks[index] = chunk
        # base64 of an envelope at the limit, plus room for the envelope's own keys
        if self.size > (self.max_result_bytes + 1024) * 4 // 3 + 4:
            raise ResultError(f"the result sent back exceeds max_result_bytes={self.max_result_bytes}")

    def envelope(self) -> dict[str, Any] | None:
        """The runner's envelope; None when no frame of this try was seen."""
        if self.total is None:
            return None
        missing = [i for i in range(self.total) if i not in self.chunks]
        if missing:
            raise ResultError(f"the result is incomplete: {len(missing)} of {self.total} frames are missing")
        try:
            body = base64.b64decode("".join(self.chunks[i] for i in range(self.total)), validate=True)
        except binascii.Error as exc:
            raise ResultError(f"the result frames do not decode ({exc})") from None
        if hashlib.sha256(body).hexdigest()[:32] != self.digest:
            raise ResultError("the result frames do not match their digest")
        envelope: dict[str, Any] = json.loads(body.decode("utf-8"))
        return envelope


def outcome(envelope: Mapping[str, Any], name: str, where: str) -> Any:
    """The function's return value, or the error it ended with (``where``: the Job, for messages)."""
    if envelope.get("ok"):
        if "pickle" in envelope:
            return pickle.loads(base64.b64decode(envelope["pickle"]))
        return envelope.get("value")
    if "too_large" in envelope:
        size, limit = envelope["too_large"]["size"], envelope["too_large"]["limit"]
        raise ResultError(
            f"{name}() returned {size} bytes (encoded) on {where}, over max_result_bytes={limit}: "
            "return less (write large outputs to a Hub dataset or bucket and return their path), "
            "or raise max_result_bytes"
        )
    error = envelope.get("error") or {}
    remote_type = str(error.get("type", "Exception"))
    if error.get("module") not in (None, "builtins", "__hfhub_job__"):
        remote_type = f"{error['module']}.{remote_type}"
    if error.get("stage") == "result":
        raise ResultError(
            f"{name}() returned a value that cannot be sent back ({remote_type}: {error.get('message')}) "
            f"on {where}: return JSON types, or use serializer='pickle'"
        )
    raise FunctionError(
        f"{name}() raised {remote_type}: {error.get('message')} (on {where})\n"
        f"Remote traceback:\n{error.get('traceback', '').rstrip()}",
        remote_type,
        str(error.get("traceback", "")),
    )
