"""Rows for the projections: text PostgreSQL accepts and stable digests."""

from __future__ import annotations

import orjson

from ingest import otlp_json
from ingest.rows import digest, rows, text, timestamp, to_json


def test_nul_characters_are_dropped_from_text_and_json() -> None:
    assert text("a\x00b") == "ab"
    assert to_json({"k\x00": ["v\x00", 1]}) == '{"k":["v",1]}'
    # A literal backslash-u sequence is not a NUL and survives.
    assert orjson.loads(to_json({"k": "\\u0000"})) == {"k": "\\u0000"}


def test_nul_characters_are_dropped_from_the_names_of_users_and_teams() -> None:
    names = {"user.id": "a\x00b", "user.email": "c\x00@d", "team.id": "t\x00"}
    span = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "00f067aa0ba902b7",
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
        "attributes": [
            {"key": key, "value": {"stringValue": value}}
            for key, value in names.items()
        ],
    }
    body = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})
    (row,) = rows(otlp_json.decode("traces", body))
    assert (row.user_ref, row.user_email, row.team_ref) == ("ab", "c@d", "t")


def test_digest_ignores_key_order_but_not_values() -> None:
    assert digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})
    assert len(digest("x")) == 16


def test_timestamp_keeps_microseconds() -> None:
    moment = timestamp(1_796_312_855_732_451_286)
    assert moment.isoformat() == "2026-12-03T15:47:35.732451+00:00"
