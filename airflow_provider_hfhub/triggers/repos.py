"""HfRepoCommitTrigger: an event trigger (``AssetWatcher``) that fires once per new commit of a Hub repo.

One request per poll: the first page of the revision's commits (newest first) gives the new
commits' ids and messages at once; the hook's client applies the one retry policy (429 waits what
the Hub says, 5xx and connection errors back off). Pure async.

Where it starts: on Airflow 3.3+ the last commit seen is kept in the asset state store (the
triggerer hands event triggers ``asset_state_store``), so a restarted trigger fires for the commits
made while it was down and for none it fired already. Without a store (Airflow 3.1, 3.2, or a
trigger shared by several assets) a trigger starts from the revision's head when it starts: commits
made while it was not running fire nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_hfhub.assets import repo_uri
from airflow_provider_hfhub.hub.errors import HubError
from airflow_provider_hfhub.hub.models import RepoCommit
from airflow_provider_hfhub.triggers.log_stream import hook_for

STATE_KEY = "hfhub_last_commit"


def new_commits(commits: Sequence[RepoCommit], last: str | None) -> list[RepoCommit]:
    """The commits after ``last``, oldest first, from a newest-first page.

    ``last`` not on the page (a force-push rewrote it, or more new commits than a page holds): only
    the head counts as new, so one event says "the repo changed" rather than none or a flood.
    """
    ids = [commit.commit_id for commit in commits]
    if not commits or last == ids[0]:
        return []
    if last in ids:
        return list(reversed(commits[: ids.index(last)]))
    return [commits[0]]


class HfRepoCommitTrigger(BaseEventTrigger):
    """Fire an event for each new commit on a Hub repo's revision; for ``AssetWatcher``.

    The event: ``repo_id``, ``repo_type``, ``revision``, ``uri`` (``hf://...``), ``commit_id``,
    ``title``, ``message``, ``date``.

    :param repo_id: the repo, ``namespace/name``.
    :param repo_type: ``model``, ``dataset`` or ``space``.
    :param revision: the branch to follow.
    :param poll_interval: seconds between two reads of the commits.
    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    def __init__(
        self,
        *,
        repo_id: str,
        repo_type: str = "model",
        revision: str = "main",
        poll_interval: float = 60.0,
        hfhub_conn_id: str = "hfhub_default",
    ) -> None:
        super().__init__()
        from airflow_provider_hfhub.operators.validation import check_repo_id

        self.uri = repo_uri(check_repo_id(repo_id), repo_type)  # bad input fails at parse time
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be positive seconds, got {poll_interval!r}")
        self.repo_id, self.repo_type, self.revision = repo_id, repo_type, revision
        self.poll_interval = poll_interval
        self.hfhub_conn_id = hfhub_conn_id
        self.store: Any = None  # the asset state store, when the triggerer gives one (3.3+)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", {
            "repo_id": self.repo_id,
            "repo_type": self.repo_type,
            "revision": self.revision,
            "poll_interval": self.poll_interval,
            "hfhub_conn_id": self.hfhub_conn_id,
        }

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = hook_for(self.hfhub_conn_id)
        last = await self._load()
        while True:
            try:
                commits = await hook.alist_repo_commits(
                    self.repo_id, repo_type=self.repo_type, revision=self.revision
                )
            except HubError as exc:  # retries are spent: say so, and read again next time
                self.log.warning("Could not read the commits of %s (%s)", self.uri, exc)
            else:
                if last is None and commits:
                    last = commits[0].commit_id  # the starting point: the head as found
                    self.log.info("Following %s@%s from commit %s", self.uri, self.revision, last)
                    await self._save(last)
                for commit in new_commits(commits, last):
                    self.log.info("New commit on %s@%s: %s", self.uri, self.revision, commit.commit_id)
                    yield TriggerEvent(self._payload(commit))
                    last = commit.commit_id
                    await self._save(last)  # right after the event is handed over, not before
            await asyncio.sleep(self.poll_interval)

    def _payload(self, commit: RepoCommit) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "repo_type": self.repo_type,
            "revision": self.revision,
            "uri": self.uri,
            "commit_id": commit.commit_id,
            "title": commit.title,
            "message": commit.message,
            "date": commit.created_at,
        }

    async def _load(self) -> str | None:
        self.store = getattr(self, "asset_state_store", None)  # set by the 3.3+ triggerer
        if self.store is None:
            return None
        try:
            value = await self.store.aget(STATE_KEY)
        except ValueError as exc:  # several assets share this trigger: no one place for the position
            self.log.warning("Not keeping the last commit seen in the asset state store (%s)", exc)
            self.store = None
            return None
        return value if isinstance(value, str) else None

    async def _save(self, commit: str) -> None:
        if self.store is not None:
            await self.store.aset(STATE_KEY, commit)
