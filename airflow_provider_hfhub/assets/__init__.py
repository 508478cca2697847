"""Hub repos as Airflow Assets: the ``hf://`` URI scheme (``hf://models/<org>/<name>``, ``datasets``, ``spaces``).

Registered in the provider info (``asset-uris``): Airflow calls :func:`sanitize_uri` on every
``hf://`` Asset URI a DAG declares and :func:`create_asset` from ``Asset.from_uri``-style factories.
Cheap to import: no Airflow import at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult

if TYPE_CHECKING:
    from airflow.sdk import Asset

SCHEME = "hf"
KINDS = {"models": "model", "datasets": "dataset", "spaces": "space"}


def repo_uri(repo_id: str, repo_type: str = "model") -> str:
    """``hf://models/<org>/<name>`` for a repo id and type (model, dataset, space)."""
    kinds = {kind: plural for plural, kind in KINDS.items()}
    if repo_type not in kinds:
        raise ValueError(f"repo_type must be one of {sorted(kinds)}, got {repo_type!r}")
    return f"{SCHEME}://{kinds[repo_type]}/{repo_id}"


def parse_uri(uri: str) -> tuple[str, str]:
    """``(repo_type, repo_id)`` from an ``hf://`` URI; a ValueError says what is wrong."""
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    if parts.scheme != SCHEME:
        raise ValueError(f"{uri!r} is not an hf:// URI")
    return _check(parts)


def _check(parts: SplitResult) -> tuple[str, str]:
    kind = KINDS.get(parts.netloc)
    if kind is None:
        raise ValueError(
            f"hf:// URI {parts.geturl()!r} must name models, datasets or spaces, e.g. hf://models/org/name"
        )
    from airflow_provider_hfhub.operators.validation import check_repo_id

    repo_id = parts.path.strip("/")
    try:
        return kind, check_repo_id(repo_id)  # the one repo id rule of the provider
    except ValueError:
        raise ValueError(
            f"hf:// URI {parts.geturl()!r} must end in <namespace>/<name> (letters, digits, '-', '_', '.')"
        ) from None


def sanitize_uri(parts: SplitResult) -> SplitResult:
    """Airflow's URI normaliser for ``hf://``: reject malformed repo ids; no query, no user info."""
    _check(parts)
    if parts.query:
        raise ValueError(f"hf:// URI {parts.geturl()!r} takes no query: name the revision in the trigger")
    return parts._replace(path=parts.path.rstrip("/"))


def create_asset(*, repo_id: str, repo_type: str = "model", extra: dict[str, Any] | None = None) -> Asset:
    """An Asset for a Hub repo, named by its ``hf://`` URI."""
    from airflow.sdk import Asset

    uri = repo_uri(repo_id, repo_type)
    parse_uri(uri)
    return Asset(uri=uri, extra=extra)
