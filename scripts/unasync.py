"""Generate the sync Hub client from the async one, as httpcore does; ``--check`` fails on drift."""

from __future__ import annotations

import re
import sys
from pathlib import Path

HUB = Path(__file__).resolve().parent.parent / "airflow_provider_hfhub" / "hub"
SOURCE, TARGET = HUB / "async_client.py", HUB / "client.py"

# Whole-word replacements, applied in order.
SUBS = [
    (
        r'"""The Hub client, async form; ``client.py`` \(sync\) is generated from this file by ``scripts/unasync.py``\.',
        '"""The Hub client, sync form. GENERATED from ``async_client.py`` by ``scripts/unasync.py``: do not edit.',
    ),
    (r"\basync def __aenter__\b", "def __enter__"),
    (r"\basync def __aexit__\b", "def __exit__"),
    (r"\bawait self\.aclose\(\)", "self.close()"),
    (r"\baclose\b", "close"),
    (r"\basync def\b", "def"),
    (r"\bawait\s+", ""),
    (r"\basync (with|for)\b", r"\1"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsyncHubClient\b", "HubClient"),
    (r"\bAsyncTransport\b", "SyncTransport"),
    (r"\bhttpx\.AsyncClient\b", "httpx.Client"),
]


def generate() -> str:
    text = SOURCE.read_text()
    for pattern, replacement in SUBS:
        text = re.sub(pattern, replacement, text)
    return text


def main(argv: list[str]) -> int:
    generated = generate()
    if "--check" in argv:
        if TARGET.read_text() != generated:
            print(f"{TARGET} is out of date: run `python scripts/unasync.py`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(generated)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
