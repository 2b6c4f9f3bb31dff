"""Flattening OTLP attributes from both wire formats to dotted keys."""

from __future__ import annotations

from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    KeyValue,
    KeyValueList,
)

from ingest.attributes import json_attributes, pb_attributes


def _kv(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def test_protobuf_kvlists_become_dotted_keys_and_arrays_stay_lists() -> None:
    nested = KeyValueList(
        values=[
            _kv("team_id", AnyValue(string_value="t-1")),
            _kv("deep", AnyValue(kvlist_value=KeyValueList(values=[
                _kv("level", AnyValue(int_value=3)),
            ]))),
        ]
    )  # fmt: skip
    attrs = pb_attributes(
        [
            _kv("trace.metadata", AnyValue(kvlist_value=nested)),
            _kv("tags", AnyValue(array_value=ArrayValue(values=[
                AnyValue(string_value="a"), AnyValue(bool_value=True),
            ]))),
            _kv("ratio", AnyValue(double_value=0.5)),
            _kv("blob", AnyValue(bytes_value=b"\x00\x01")),
            _kv("empty", AnyValue()),
        ]
    )  # fmt: skip

    assert attrs == {
        "trace.metadata.team_id": "t-1",
        "trace.metadata.deep.level": 3,
        "tags": ["a", True],
        "ratio": 0.5,
        "blob": "AAE=",
        "empty": None,
    }


def test_json_accepts_numbers_and_strings_for_int_values() -> None:
    attrs = json_attributes(
        [
            {"key": "as_number", "value": {"intValue": 1200}},
            {"key": "as_string", "value": {"intValue": "1200"}},
            {"key": "snake", "value": {"int_value": "7"}},
            {"key": "not_a_number", "value": {"intValue": "twelve"}},
            {"key": "double_text", "value": {"doubleValue": "1.5"}},
        ]
    )

    assert attrs == {
        "as_number": 1200,
        "as_string": 1200,
        "snake": 7,
        "not_a_number": None,
        "double_text": 1.5,
    }


def test_json_kvlist_and_array_values_flatten_like_protobuf() -> None:
    attrs = json_attributes(
        [
            {
                "key": "trace.metadata",
                "value": {
                    "kvlistValue": {
                        "values": [{"key": "team_id", "value": {"stringValue": "t"}}]
                    }
                },
            },
            {
                "key": "list",
                "value": {
                    "arrayValue": {"values": [{"intValue": "1"}, {"intValue": 2}]}
                },
            },
        ]
    )

    assert attrs == {"trace.metadata.team_id": "t", "list": [1, 2]}


def test_json_skips_entries_without_a_string_key() -> None:
    attrs = json_attributes(
        [{"key": 5, "value": {"stringValue": "x"}}, "junk", {"value": {}}]
    )
    assert attrs == {}
    assert json_attributes("not a list") == {}
