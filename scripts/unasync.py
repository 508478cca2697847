"""Generate the sync Hub client and transport from the async ones, as httpcore does; ``--check`` fails on drift."""

from __future__ import annotations

import re
import sys
from pathlib import Path

HUB = Path(__file__).resolve().parent.parent / "airflow_provider_hfhub" / "hub"
# (async source, generated sync target)
PAIRS = [
    (HUB / "async_client.py", HUB / "client.py"),
    (HUB / "_async_transport.py", HUB / "_sync_transport.py"),
]

# Whole-word replacements, applied in order.
SUBS = [
    (
        r'"""The Hub client, async form; ``client.py`` \(sync\) is generated from this file by ``scripts/unasync.py``\.',
        '"""The Hub client, sync form. GENERATED from ``async_client.py`` by ``scripts/unasync.py``: do not edit.',
    ),
    (
        r'"""The async transport; ``_sync_transport.py`` is generated from this file by ``scripts/unasync.py``\.',
        '"""The sync transport. GENERATED from ``_async_transport.py`` by ``scripts/unasync.py``: do not edit.',
    ),
    (r"\basync def __aenter__\b", "def __enter__"),
    (r"\basync def __aexit__\b", "def __exit__"),
    (r"\bawait self\.aclose\(\)", "self.close()"),
    (r"\baclose\b", "close"),
    (r"\baread\b", "read"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\basync def\b", "def"),
    (r"\bawait\s+", ""),
    (r"\basync (with|for)\b", r"\1"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsyncHubClient\b", "HubClient"),
    (r"\bAsyncTransport\b", "SyncTransport"),
    (r"\b_AsyncFlowRunner\b", "_SyncFlowRunner"),
    (r"\bAsyncStream\b", "SyncStream"),
    (r"\bAsyncStageSource\b", "StageSource"),
    (r"\bhttpx\.AsyncClient\b", "httpx.Client"),
    (r"\basync_transport_for\b", "sync_transport_for"),
    (r"\bASYNC_CREATES_APART\b", "SYNC_CREATES_APART"),
    (r"\btenacity\.AsyncRetrying\b", "tenacity.Retrying"),
    # The waiting primitives: threads share a sync client as tasks share an async one.
    (r"^import asyncio$", "import threading"),
    (r"\basyncio\.Semaphore\b", "threading.BoundedSemaphore"),
    (r"\basyncio\.Lock\b", "threading.Lock"),
    (r"\basyncio\.sleep\b", "time.sleep"),
]
# Left in a generated file, these mean a construct the substitutions above do not know yet.
LEFTOVERS = re.compile(r"\b(await|async|asyncio)\b|\bAsync[A-Z]|\ba(iter|next|read|close)\b")


def generate(source: Path) -> str:
    text = source.read_text()
    for pattern, replacement in SUBS:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    return text


def main(argv: list[str]) -> int:
    status = 0
    for source, target in PAIRS:
        generated = generate(source)
        leftovers = sorted({m.group(0) for m in LEFTOVERS.finditer(generated)})
        if leftovers:
            print(f"{source.name}: no sync form for {leftovers}: extend SUBS in {__file__}", file=sys.stderr)
            status = 1
        elif "--check" not in argv:
            target.write_text(generated)
        elif target.read_text() != generated:
            print(f"{target} is out of date: run `python scripts/unasync.py`", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
