"""OTLP AnyValue and KeyValue lists, from either wire format, as flat dicts.

A kvlist becomes dotted keys (`a: {b: 1}` is `a.b = 1`); an array stays a list
whose elements are converted the same way; bytes become base64 text, so every
flattened value is JSON-serialisable.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from ingest.numbers import parse_int

Attributes = dict[str, Any]
# JSON AnyValues nest as deep as the JSON parser allows (hundreds of levels),
# but the log's JSON writer stops at 255; no real sender nests this deep, so
# deeper values are cut short to None rather than losing the whole item.
# Protobuf needs no cut: its parser stops at 100 message levels.
MAX_DEPTH = 64


def put(out: Attributes, key: str, value: Any) -> None:
    """Store `value` under `key`, spreading nested mappings into dotted keys."""
    if isinstance(value, dict):
        for sub, item in value.items():
            put(out, f"{key}.{sub}", item)
    else:
        out[key] = value


SCALAR_KINDS = frozenset({"string_value", "int_value", "double_value", "bool_value"})


def pb_value(value: Any) -> Any:
    """The Python value of a protobuf AnyValue (kvlists as nested dicts)."""
    # Nearly every value is a string or an int, and an unset oneof member reads
    # as "" or 0: a truthy read is the value, without asking for the kind.
    text = value.string_value
    if text:
        return text
    number = value.int_value
    if number:
        return number
    kind = value.WhichOneof("value")
    if kind in SCALAR_KINDS:
        return getattr(value, kind)
    if kind == "array_value":
        return [pb_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: pb_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def pb_attributes(kvs: Iterable[Any]) -> Attributes:
    """Flatten a protobuf KeyValue list."""
    out: Attributes = {}
    for kv in kvs:
        value = kv.value
        # pb_value's shortcut, inline: this loop is the hottest of protobuf ingest.
        text = value.string_value
        if text:
            out[kv.key] = text
            continue
        number = value.int_value
        if number:
            out[kv.key] = number
            continue
        put(out, kv.key, pb_value(value))
    return out


def json_value(value: Any, depth: int = 0) -> Any:
    """The Python value of a JSON AnyValue, accepting what real senders send.

    intValue may be a JSON number or a decimal string; snake_case keys are
    accepted beside the spec's lowerCamelCase. Arrays and kvlists nested past
    MAX_DEPTH become None.
    """
    if depth > MAX_DEPTH:
        return None
    if not isinstance(value, Mapping):
        # Some senders put a bare scalar where an AnyValue belongs.
        return value if isinstance(value, str | int | float | bool) else None
    for key, val in value.items():
        if key in ("stringValue", "string_value"):
            return val if isinstance(val, str) else str(val)
        if key in ("intValue", "int_value"):
            return parse_int(val)
        if key in ("doubleValue", "double_value"):
            return _json_double(val)
        if key in ("boolValue", "bool_value"):
            return val if isinstance(val, bool) else str(val).lower() == "true"
        if key in ("arrayValue", "array_value"):
            return [json_value(v, depth + 1) for v in _values(val)]
        if key in ("kvlistValue", "kvlist_value"):
            return json_attributes(_values(val), depth + 1)
        if key in ("bytesValue", "bytes_value"):
            return val if isinstance(val, str) else None
    return None


def json_attributes(kvs: Any, depth: int = 0) -> Attributes:
    """Flatten a JSON KeyValue list; entries without a string key are skipped."""
    out: Attributes = {}
    if not isinstance(kvs, list):
        return out
    for kv in kvs:
        if isinstance(kv, Mapping) and isinstance(kv.get("key"), str):
            put(out, kv["key"], json_value(kv.get("value"), depth))
    return out


def _values(container: Any) -> list[Any]:
    if isinstance(container, Mapping):
        values = container.get("values")
        return values if isinstance(values, list) else []
    return []


def _json_double(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        # Protobuf JSON spells the special values as strings.
        try:
            return float(value)
        except ValueError:
            return None
    return None
