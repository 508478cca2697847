"""Job secrets for the triggerer's masker, sealed with Airflow's Fernet key: never plaintext in kwargs.

Trigger arguments are stored as plain JSON in the ``trigger`` table on Airflow 3.1-3.3 and shown
by the REST API on 3.1 and 3.2 (``TaskInstanceResponse.trigger.kwargs``), while the triggerer's
masker knows nothing the worker masked. So the operator hands the triggerer the secret values
encrypted with ``[core] fernet_key`` (shared by every Airflow component), and the trigger
registers them with its masker. Without a Fernet key nothing is passed, and the operator says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

# Airflow's masker leaves shorter values alone (secrets_masker.py: min_length_to_mask), and so do
# we: redacting every "abc" in a log would hide more than it protects.
MIN_SECRET_LENGTH = 5
REDACTED = "***"


def seal(values: Iterable[str]) -> str | None:
    """The values encrypted for the triggerer; None when there is none or no Fernet key is set."""
    from airflow.models.crypto import get_fernet

    secrets = sorted({value for value in values if len(value) >= MIN_SECRET_LENGTH})
    fernet = get_fernet()
    if not secrets or not fernet.is_encrypted:
        return None
    return fernet.encrypt(json.dumps(secrets).encode()).decode()


def unseal(sealed: str | None) -> list[str]:
    if not sealed:
        return []
    from airflow.models.crypto import get_fernet

    return [str(value) for value in json.loads(get_fernet().decrypt(sealed.encode()))]


class Redactor:
    """Replaces every secret value in a text; longest first, so one secret inside another goes too."""

    def __init__(self, values: Iterable[str]) -> None:
        self._values = sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._values)

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text
