"""Hub repositories (models, datasets, Spaces): files, commits, and the repo info JSON.

A repo keeps its files at the head of ``main`` and its commits, newest last. Files are regular git
blobs only (the preupload answer is "regular" for every file; LFS and Xet are the official client's
business, not the fake's). A Space's repo sits beside its runtime (``spaces.Space``): a commit to
it starts a rebuild of that commit, as a push does on the Hub (docs/hub-api.md#space-deploys).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from .state import iso, now, stable_id

KINDS = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
GITATTRIBUTES = b"*.bin filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_oid(data: bytes) -> str:
    """The git blob id of a file, as ``git hash-object`` (and the official client's ``sha.git_hash``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def initial_commit_oid(kind: str, repo_id: str) -> str:
    """A stable id for a repo's first commit, so a Space added by the admin API has a known ``sha``."""
    return hashlib.sha1(f"{kind}/{repo_id}/initial".encode()).hexdigest()


def subdomain(repo_id: str) -> str:
    """``<namespace>-<name>``, lowercased, other characters as ``-``: the Space's ``*.hf.space`` name."""
    return re.sub(r"[^a-z0-9-]", "-", repo_id.replace("/", "-").lower())


@dataclass
class Commit:
    oid: str
    title: str
    message: str
    date: float

    def to_json(self, user: str) -> dict[str, Any]:
        """One entry of ``GET /api/{kind}s/{id}/commits/{rev}`` (``hf_api.py::list_repo_commits``)."""
        return {
            "id": self.oid,
            "title": self.title,
            "message": self.message,
            "authors": [{"user": user}],
            "date": iso(self.date),
        }


@dataclass
class Repo:
    kind: str  # model, dataset, space
    repo_id: str
    private: bool = False
    files: dict[str, bytes] = field(default_factory=lambda: {".gitattributes": GITATTRIBUTES})
    commits: list[Commit] = field(default_factory=list)
    created_at: float = field(default_factory=now)

    def __post_init__(self) -> None:
        if not self.commits:
            oid = initial_commit_oid(self.kind, self.repo_id)
            self.commits.append(Commit(oid, "initial commit", "", self.created_at))

    @property
    def sha(self) -> str:
        return self.commits[-1].oid

    def find(self, revision: str) -> Commit | None:
        """The commit ``main`` or a commit id (full or a prefix of 7+) names; None if unknown."""
        if revision == "main":
            return self.commits[-1]
        if len(revision) >= 7:
            for commit in reversed(self.commits):
                if commit.oid.startswith(revision):
                    return commit
        return None

    def commit(self, title: str, message: str, adds: dict[str, bytes], deletes: list[str]) -> Commit:
        """Apply a commit's operations (deleted files, then folders ending in ``/``, then additions)."""
        for path in deletes:
            if path.endswith("/"):
                for name in [n for n in self.files if n.startswith(path)]:
                    del self.files[name]
            else:
                self.files.pop(path, None)
        self.files.update(adds)
        commit = Commit(secrets.token_hex(20), title, message, now())
        self.commits.append(commit)
        return commit

    def info(self, base: str, revision: Commit) -> dict[str, Any]:
        """The repo info JSON (``ModelInfo`` / ``DatasetInfo`` / ``SpaceInfo`` read these keys)."""
        namespace = self.repo_id.split("/", 1)[0]
        return {
            "_id": stable_id(f"{self.kind}/{self.repo_id}"),
            "id": self.repo_id,
            "author": namespace,
            "sha": revision.oid,
            "lastModified": iso(self.commits[-1].date),
            "createdAt": iso(self.created_at),
            "private": self.private,
            "disabled": False,
            "gated": False,
            "likes": 0,
            "tags": [],
            "siblings": [{"rfilename": name} for name in sorted(self.files)],
        }

    def url(self, base: str) -> str:
        return f"{base}/{URL_PREFIX[self.kind]}{self.repo_id}"
