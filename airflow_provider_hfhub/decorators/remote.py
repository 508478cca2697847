"""What runs on the Hub Job for ``@task.hfhub_job``: call the function, send its outcome back framed.

This module is not imported by the Job: its text is the head of the generated script
(``payload.build_script``), so it uses the standard library only and runs on Python 3.8+.

The outcome is a JSON envelope (``{"ok": true, "value": ...}`` or ``{"ok": false, "error": ...}``),
base64-encoded and printed in chunks, one frame a line: ``<prefix><nonce> <i>/<n> <digest> <chunk>``.
The nonce is this try's (``NONCE_ENV``), taken out of the environment before the function's source
runs, so output that merely looks like a frame is not taken for the result.
"""

from __future__ import annotations

import base64
import hashlib
import json
import linecache
import os
import pickle
import sys
import traceback
from typing import Any

NONCE_ENV = "HFHUB_RESULT_NONCE"
# A frame line stays under PIPE_BUF (4096 bytes), so one write(2) on the pipe to the container's
# log is atomic: a thread of the function printing meanwhile cannot split a frame (pipe(7)).
CHUNK_CHARS = 3000


def load_arguments(payload: str, serializer: str) -> tuple[list[Any], dict[str, Any]]:
    """``{"args": [...], "kwargs": {...}}`` from JSON text, or from base64 of a pickle."""
    loaded = pickle.loads(base64.b64decode(payload)) if serializer == "pickle" else json.loads(payload)
    return list(loaded["args"]), dict(loaded["kwargs"])


def describe(exc: BaseException, skip_frames: int) -> dict[str, Any]:
    """The exception as the worker shows it; the runner's own frames are left out of the traceback."""
    tb = exc.__traceback__
    for _ in range(skip_frames):
        tb = tb.tb_next if tb is not None else None
    return {
        "type": type(exc).__qualname__,
        "module": type(exc).__module__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, tb)),
    }


def encode_value(value: Any, serializer: str) -> dict[str, Any]:
    if serializer == "pickle":
        return {"ok": True, "pickle": base64.b64encode(pickle.dumps(value)).decode("ascii")}
    return {"ok": True, "value": value}


def envelope_bytes(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, allow_nan=False).encode("utf-8")


def send(envelope: bytes, prefix: str, nonce: str) -> None:
    """Print the envelope as frames, after whatever the function left in Python's buffers."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()
    text = base64.b64encode(envelope).decode("ascii")
    digest = hashlib.sha256(envelope).hexdigest()[:32]
    chunks = [text[start : start + CHUNK_CHARS] for start in range(0, len(text), CHUNK_CHARS)] or [""]
    for index, chunk in enumerate(chunks):
        line = f"{prefix}{nonce} {index}/{len(chunks)} {digest} {chunk}\n"
        os.write(1, line.encode("ascii"))


def run(source: str, name: str, payload: str, serializer: str, prefix: str, limit: int) -> int:
    """Call ``name`` from ``source`` with the arguments in ``payload``; print its outcome; the exit code."""
    nonce = os.environ.pop(NONCE_ENV, "")
    filename = f"<@task.hfhub_job {name}>"
    # Registered so that the remote traceback shows the function's lines, as a local one would.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "__hfhub_job__"}
    try:
        args, kwargs = load_arguments(payload, serializer)
        exec(compile(source, filename, "exec"), namespace)
        value = namespace[name](*args, **kwargs)
    except BaseException as exc:  # SystemExit too: the function did not return
        error = describe(exc, 1)
        sys.stderr.write(error["traceback"])  # as Python reports an uncaught error, for the Job's page
        send(envelope_bytes({"ok": False, "error": error}), prefix, nonce)
        return 1
    try:
        body = envelope_bytes(encode_value(value, serializer))
    except Exception as exc:
        error = describe(exc, 1)
        error["stage"] = "result"
        send(envelope_bytes({"ok": False, "error": error}), prefix, nonce)
        return 1
    if len(body) > limit:
        send(envelope_bytes({"ok": False, "too_large": {"size": len(body), "limit": limit}}), prefix, nonce)
        return 1
    send(body, prefix, nonce)
    return 0
