"""The event-stream parser: the same events whatever the network reads, as the SSE spec reads them."""

from __future__ import annotations

import pytest

from airflow_provider_hfhub.hub.sse import EventParser

STREAM = (
    ": keep-alive\r\n"
    'data: {"data": "one"}\r\n\r\n'
    "event: note\r\n"
    "data: first\r\n"
    "data: second \u00e9\r\n\r\n"
    "data:no space\r\rid: 7\rdata: cr\r\r"
    "event: nothing\n\n"  # no data: not an event
    'data: {"data": "last"}\n\n'
).encode()
EXPECTED = [
    ("message", '{"data": "one"}', ""),
    ("note", "first\nsecond \u00e9", ""),
    ("message", "no space", ""),
    ("message", "cr", "7"),
    ("message", '{"data": "last"}', "7"),
]


def parse(*reads: bytes) -> list[tuple[str, str, str]]:
    parser = EventParser()
    events = [event for read in reads for event in parser.feed(read)] + parser.close()
    return [(event.event, event.data, event.id) for event in events]


def test_one_read_gives_every_event_in_order() -> None:
    assert parse(STREAM) == EXPECTED


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_a_read_may_end_anywhere_even_between_cr_and_lf_or_inside_a_character(cut: int) -> None:
    assert parse(STREAM[:cut], STREAM[cut:]) == EXPECTED


def test_byte_by_byte_reads_give_the_same_events() -> None:
    assert parse(*(STREAM[i : i + 1] for i in range(len(STREAM)))) == EXPECTED


def test_an_event_the_stream_ends_inside_is_dropped_and_a_last_cr_completes_one() -> None:
    assert parse(b"data: done\n\ndata: cut off\n") == [("message", "done", "")]
    assert parse(b"data: done\r\r") == [("message", "done", "")]


def test_an_event_is_handed_over_by_the_read_that_completes_it() -> None:
    parser = EventParser()
    assert parser.feed(b"data: a\n") == []
    assert [event.data for event in parser.feed(b"\ndata: b\n\ndata: c")] == ["a", "b"]
