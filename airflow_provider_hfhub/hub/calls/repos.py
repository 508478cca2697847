"""Repo calls: a repo's info at a revision and its latest commits (models, datasets, Spaces).

Pushes are not here: the official client makes them (LFS and Xet uploads are its job), see
``operators/space_deploy.py``. Paths as ``huggingface_hub`` 2.4 sends them
(``hf_api.py::repo_info``, ``list_repo_commits``); docs/hub-api.md#repos-and-commits.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow_provider_hfhub.hub.calls._call import Call
from airflow_provider_hfhub.hub.models import RepoCommit, RepoInfo

REPO_TYPES = ("model", "dataset", "space")


def _info(data: Any, endpoint: str) -> RepoInfo:
    return RepoInfo.from_json(data)


def _commits(data: Any, endpoint: str) -> list[RepoCommit]:
    return [RepoCommit.from_json(item) for item in data or []]


def repo_info(repo_id: str, repo_type: str = "model", revision: str | None = None) -> Call[RepoInfo]:
    """``GET /api/{type}s/{id}`` or ``.../revision/{rev}`` (the revision quoted, ``/`` included)."""
    path = f"/api/{repo_type}s/{repo_id}"
    if revision is not None:
        path += f"/revision/{quote(revision, safe='')}"
    return Call("GET", path, _info)


def list_repo_commits(
    repo_id: str, repo_type: str = "model", revision: str = "main"
) -> Call[list[RepoCommit]]:
    """The first page of the history, newest first: one request, whatever the history's length."""
    return Call("GET", f"/api/{repo_type}s/{repo_id}/commits/{quote(revision, safe='')}", _commits)
