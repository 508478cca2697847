"""Reading a result back from log lines: the frames ``remote.send`` prints, replays, forgeries, limits."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from airflow_provider_hfhub.decorators import remote
from airflow_provider_hfhub.decorators.payload import Frames, ResultError, outcome
from airflow_provider_hfhub.triggers.log_stream import FRAME_PREFIX

NONCE = "ab" * 16


def printed(envelope: dict[str, Any], nonce: str = NONCE) -> list[str]:
    """The lines ``remote.send`` writes to file descriptor 1."""
    read, write = os.pipe()
    saved = os.dup(1)
    try:
        os.dup2(write, 1)
        remote.send(remote.envelope_bytes(envelope), FRAME_PREFIX, nonce)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(write)
    with os.fdopen(read) as pipe:
        return pipe.read().splitlines()


def test_a_chunked_result_read_with_replays_and_other_lines() -> None:
    value = {"text": "x" * 10_000, "unicode": "ünïcødé ✓"}
    lines = printed({"ok": True, "value": value})
    assert len(lines) > 3 and all(len(line) < 4096 for line in lines)  # atomic pipe writes
    # A reconnect that replayed the first frames, and the Job's own output in between.
    stream = ["hello", *lines[:2], "more output", *lines, "bye"]
    envelope = Frames(NONCE, 1 << 20).feed(stream).envelope()
    assert envelope is not None and outcome(envelope, "f", "Job 1") == value


def test_frames_of_another_nonce_are_ignored() -> None:
    lines = printed({"ok": True, "value": "forged"}, nonce="cd" * 16)
    assert Frames(NONCE, 1 << 20).feed(lines).envelope() is None
    genuine = printed({"ok": True, "value": "genuine"})
    envelope = Frames(NONCE, 1 << 20).feed([*lines, *genuine]).envelope()
    assert envelope is not None and outcome(envelope, "f", "Job 1") == "genuine"


def test_incomplete_mixed_or_oversized_frames_are_refused() -> None:
    lines = printed({"ok": True, "value": "x" * 10_000})
    with pytest.raises(ResultError, match="incomplete: 1 of"):
        Frames(NONCE, 1 << 20).feed(lines[:-1]).envelope()
    other = printed({"ok": True, "value": "y" * 10_000})
    with pytest.raises(ResultError, match="two different results"):
        Frames(NONCE, 1 << 20).feed([lines[0], other[1]])
    with pytest.raises(ResultError, match="exceeds max_result_bytes=1000"):
        Frames(NONCE, 1000).feed(lines)
    with pytest.raises(ResultError, match="unreadable result frame"):
        Frames(NONCE, 1000).feed([f"{FRAME_PREFIX}{NONCE} x/y"])


def test_remote_errors_read_like_local_ones() -> None:
    error = {"type": "BadSplit", "module": "mylib.errors", "message": "no 'dev'", "traceback": "Traceback..."}
    with pytest.raises(Exception, match=r"f\(\) raised mylib\.errors\.BadSplit: no 'dev' \(on Job 1\)"):
        outcome({"ok": False, "error": error}, "f", "Job 1")
    unsendable = {**error, "type": "TypeError", "module": "builtins", "stage": "result"}
    with pytest.raises(
        ResultError, match=r"cannot be sent back \(TypeError: no 'dev'\).*serializer='pickle'"
    ):
        outcome({"ok": False, "error": unsendable}, "f", "Job 1")


def test_arguments_load_as_sent() -> None:
    text = json.dumps({"args": [1, 'é\n"q"'], "kwargs": {"k": None}}, ensure_ascii=False)
    assert remote.load_arguments(text, "json") == ([1, 'é\n"q"'], {"k": None})


def test_the_runner_is_python_3_8_and_standard_library_only() -> None:
    import ast
    import sys
    from pathlib import Path

    source = Path(remote.__file__).read_text()
    tree = ast.parse(source, feature_version=(3, 8))  # a Job may run an older Python (python=)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
