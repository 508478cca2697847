"""The call clients a transport spreads its calls over (``CallShards``): few, made when needed, never over-full."""

from __future__ import annotations

import contextlib
from collections import Counter

import httpx

from airflow_provider_hfhub.hub._transport_base import CALL_SHARDS, CALLS_PER_SHARD, CallShards


def shards() -> tuple[CallShards[httpx.Client], list[httpx.Client]]:
    made: list[httpx.Client] = []

    def make() -> httpx.Client:
        made.append(httpx.Client())
        return made[-1]

    return CallShards(make), made


def test_calls_one_after_another_use_one_client() -> None:
    calls, made = shards()
    for _ in range(50):
        with calls.take():
            pass
    assert len(made) == 1 and calls.made() == made


def test_calls_at_once_spread_so_that_no_client_holds_more_than_its_pool() -> None:
    calls, made = shards()
    with contextlib.ExitStack() as held:
        taken = [held.enter_context(calls.take()) for _ in range(CALL_SHARDS * CALLS_PER_SHARD)]
    assert len(made) == CALL_SHARDS
    assert set(Counter(map(id, taken)).values()) == {CALLS_PER_SHARD}


def test_a_freed_client_is_the_next_one_taken() -> None:
    calls, made = shards()
    with contextlib.ExitStack() as held:
        for _ in range(CALLS_PER_SHARD + 1):  # the first client full, one call on the second
            held.enter_context(calls.take())
        with calls.take() as third:
            assert third is made[1]
    with calls.take() as after:
        assert after is made[0]


def test_a_given_client_is_the_only_one() -> None:
    given = httpx.Client()
    calls = CallShards(httpx.Client, given)
    with contextlib.ExitStack() as held:
        taken = {id(held.enter_context(calls.take())) for _ in range(3 * CALLS_PER_SHARD)}
    assert taken == {id(given)} and calls.made() == [given]
