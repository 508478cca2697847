"""HfRepoCommitTrigger: one event per new commit, none without one, no repeat across a restart (3.3 store)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from huggingface_hub import HfApi

from airflow_provider_hfhub.hub.models import RepoCommit
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.repos import STATE_KEY, HfRepoCommitTrigger, new_commits
from tests.airflow_support import roundtrip

MODEL = "fake-org/eval-model"


class AssetStateStore(dict):  # type: ignore[type-arg]
    """Airflow 3.3's accessor for the one asset a watcher watches (``AssetStateStoreAccessors``)."""

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self[key] = value


def _reads(hub: FakeHub) -> int:
    return len([r for r in hub.requests() if r["path"].startswith(f"/api/models/{MODEL}/commits/")])


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def _collect(trigger: HfRepoCommitTrigger, events: list[dict[str, Any]]) -> None:
    async for event in trigger.run():
        events.append(dict(event.payload))


def trigger(store: AssetStateStore | None = None) -> HfRepoCommitTrigger:
    made = roundtrip(HfRepoCommitTrigger(repo_id=MODEL, poll_interval=0.05))
    if store is not None:
        made.asset_state_store = store
    return made


@pytest.fixture
def api(hub_connection: FakeHub) -> HfApi:
    client = HfApi(endpoint=hub_connection.url, token=hub_connection.token)
    client.create_repo(MODEL)
    return client


async def test_fires_once_per_new_commit_and_not_without_one(hub_connection: FakeHub, api: HfApi) -> None:
    events: list[dict[str, Any]] = []
    task = asyncio.ensure_future(_collect(trigger(), events))
    try:
        await _until(lambda: _reads(hub_connection) >= 3)  # polled, nothing new: no event
        assert events == []
        first = api.upload_file(
            path_or_fileobj=b"1", path_in_repo="w.bin", repo_id=MODEL, commit_message="Train v1",
            commit_description="eval loss 0.31",
        )  # fmt: skip
        await _until(lambda: len(events) == 1)
        polls = _reads(hub_connection)
        await _until(lambda: _reads(hub_connection) >= polls + 3)
        assert len(events) == 1  # the same head read again is no new event
        event = events[0]
        assert event["commit_id"] == first.oid and event["title"] == "Train v1"
        assert event["message"] == "eval loss 0.31" and event["uri"] == f"hf://models/{MODEL}"
    finally:
        task.cancel()


async def test_restart_with_the_asset_state_store_neither_misses_nor_repeats(
    hub_connection: FakeHub, api: HfApi
) -> None:
    store = AssetStateStore()
    events: list[dict[str, Any]] = []
    task = asyncio.ensure_future(_collect(trigger(store), events))
    await _until(lambda: STATE_KEY in store)
    one = api.upload_file(path_or_fileobj=b"1", path_in_repo="w.bin", repo_id=MODEL, commit_message="one")
    await _until(lambda: len(events) == 1)
    task.cancel()  # the triggerer stops; two commits land meanwhile
    two = api.upload_file(path_or_fileobj=b"2", path_in_repo="w.bin", repo_id=MODEL, commit_message="two")
    three = api.upload_file(path_or_fileobj=b"3", path_in_repo="w.bin", repo_id=MODEL, commit_message="3")
    task = asyncio.ensure_future(_collect(trigger(store), events))
    try:
        await _until(lambda: len(events) == 3)
        polls = _reads(hub_connection)
        await _until(lambda: _reads(hub_connection) >= polls + 3)
        assert [e["commit_id"] for e in events] == [one.oid, two.oid, three.oid]
        assert store[STATE_KEY] == three.oid
    finally:
        task.cancel()


def test_new_commits_after_a_rewrite_count_the_head_only() -> None:
    page = [RepoCommit("c3"), RepoCommit("c2"), RepoCommit("c1")]
    assert [c.commit_id for c in new_commits(page, "c1")] == ["c2", "c3"]
    assert new_commits(page, "c3") == []
    assert [c.commit_id for c in new_commits(page, "gone")] == ["c3"]


def test_serializes_plain_arguments_and_rejects_bad_ones() -> None:
    path, kwargs = HfRepoCommitTrigger(repo_id=MODEL, repo_type="dataset").serialize()
    assert path == "airflow_provider_hfhub.triggers.repos.HfRepoCommitTrigger"
    assert kwargs == {"repo_id": MODEL, "repo_type": "dataset", "revision": "main", "poll_interval": 60.0,
                      "hfhub_conn_id": "hfhub_default"}  # fmt: skip
    with pytest.raises(ValueError, match="repo_type must be one of"):
        HfRepoCommitTrigger(repo_id=MODEL, repo_type="kernel")
    with pytest.raises(ValueError, match="must look like"):
        HfRepoCommitTrigger(repo_id="no-namespace")
