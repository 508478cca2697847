"""The clients a transport shares its calls and its log streams over (``ClientShards``): made when needed, never over-full."""

from __future__ import annotations

import contextlib
from collections import Counter

import httpx

from airflow_provider_hfhub.hub._transport_base import (
    CALL_SHARDS,
    CALLS_PER_SHARD,
    STREAMS_PER_CLIENT,
    ClientShards,
)


def shards(
    per_client: int = CALLS_PER_SHARD, most: int | None = CALL_SHARDS
) -> tuple[ClientShards[httpx.Client], list[httpx.Client]]:
    made: list[httpx.Client] = []

    def make() -> httpx.Client:
        made.append(httpx.Client())
        return made[-1]

    return ClientShards(make, per_client, most), made


def test_calls_one_after_another_use_one_client() -> None:
    calls, made = shards()
    for _ in range(50):
        with calls.taken():
            pass
    assert len(made) == 1 and calls.made() == made


def test_calls_at_once_spread_so_that_no_client_holds_more_than_its_pool() -> None:
    calls, made = shards()
    with contextlib.ExitStack() as held:
        taken = [held.enter_context(calls.taken()) for _ in range(CALL_SHARDS * CALLS_PER_SHARD)]
    assert len(made) == CALL_SHARDS
    assert set(Counter(map(id, taken)).values()) == {CALLS_PER_SHARD}


def test_a_freed_client_is_the_next_one_taken() -> None:
    calls, made = shards()
    with contextlib.ExitStack() as held:
        for _ in range(CALLS_PER_SHARD + 1):  # the first client full, one call on the second
            held.enter_context(calls.taken())
        with calls.taken() as third:
            assert third is made[1]
    with calls.taken() as after:
        assert after is made[0]


def test_a_given_client_is_the_only_one() -> None:
    given = httpx.Client()
    calls = ClientShards(httpx.Client, CALLS_PER_SHARD, CALL_SHARDS, given)
    with contextlib.ExitStack() as held:
        taken = {id(held.enter_context(calls.taken())) for _ in range(3 * CALLS_PER_SHARD)}
    assert taken == {id(given)} and calls.made() == [given]


def test_streams_fill_a_client_before_the_next_is_made_and_free_their_room_when_done() -> None:
    streams, made = shards(STREAMS_PER_CLIENT, None)
    taken = [streams.take() for _ in range(3 * STREAMS_PER_CLIENT + 1)]
    assert len(made) == 4
    assert Counter(map(id, taken)) == {
        id(made[0]): STREAMS_PER_CLIENT,
        id(made[1]): STREAMS_PER_CLIENT,
        id(made[2]): STREAMS_PER_CLIENT,
        id(made[3]): 1,
    }
    for client in taken:
        streams.give_back(client)
    assert {id(streams.take()) for _ in range(STREAMS_PER_CLIENT)} == {id(made[0])} and len(made) == 4
