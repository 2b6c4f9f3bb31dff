"""Lenient number parsing for OTLP JSON, where int64 may be text or a number."""

from __future__ import annotations

from typing import Any

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
# Enums (span kind, status code, temporality, severity) are stored as int16.
INT16_MAX = 2**15 - 1
INT16_MIN = -(2**15)


def parse_int(value: Any) -> int | None:
    """An int64 from a JSON number or decimal string; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if INT64_MIN <= number <= INT64_MAX else None


def parse_uint64(value: Any) -> int | None:
    """A non-negative int64 (timestamps, counts); None otherwise."""
    number = parse_int(value)
    return number if number is not None and number >= 0 else None


def parse_float(value: Any) -> float | None:
    """A float from a JSON number or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def fits_int16(number: int) -> bool:
    """Whether an enum value can be stored (proto3 enums are open int32s)."""
    return INT16_MIN <= number <= INT16_MAX


def fits_int64(number: int) -> bool:
    """Whether a uint64 (fixed64 times and counts) can be stored as an int64."""
    return INT64_MIN <= number <= INT64_MAX
