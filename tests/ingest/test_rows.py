"""Rows for the projections: text PostgreSQL accepts and stable digests."""

from __future__ import annotations

import orjson

from ingest.rows import digest, text, timestamp, to_json


def test_nul_characters_are_dropped_from_text_and_json() -> None:
    assert text("a\x00b") == "ab"
    assert to_json({"k\x00": ["v\x00", 1]}) == '{"k":["v",1]}'
    # A literal backslash-u sequence is not a NUL and survives.
    assert orjson.loads(to_json({"k": "\\u0000"})) == {"k": "\\u0000"}


def test_digest_ignores_key_order_but_not_values() -> None:
    assert digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})
    assert len(digest("x")) == 16


def test_timestamp_keeps_microseconds() -> None:
    moment = timestamp(1_796_312_855_732_451_286)
    assert moment.isoformat() == "2026-12-03T15:47:35.732451+00:00"
