"""Opaque public ids for rows of the span log (spans, and the payloads they came from).

A span is stored at (received_at, seq, ordinal): its payload's receive time
and log sequence number, and its position in that payload. `stereos replay`
rebuilds rows at the same place, so an id made from that place outlives a
replay. The place is not shown as is: sequence numbers would tell how much
others send and invite guessing the next id. The 20 bytes are put through a
four-round Feistel network keyed with HMAC-SHA256 (a keyed permutation, so
distinct places always get distinct ids) and written in base32 (32 characters).

Every string of the right shape decodes to some place; whether a span is there,
and whether the caller may see it, is for the database to say (404 otherwise).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_LAYOUT = struct.Struct(">qqI")  # received_at in µs, seq, ordinal: 20 bytes
_HALF = _LAYOUT.size // 2
_ROUNDS = 4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
ID_CHARS = 32


@dataclass(frozen=True, slots=True)
class RowKey:
    """Where a row sits in the log."""

    received_at: datetime
    seq: int
    ordinal: int


class PublicIds:
    """Encodes and decodes one kind of id ("span", "payload") under one secret."""

    def __init__(self, secret: str, kind: str) -> None:
        self._key = hmac.new(secret.encode(), kind.encode(), hashlib.sha256).digest()

    def encode(self, key: RowKey) -> str:
        micros = (key.received_at - _EPOCH) // _MICROSECOND
        block = _LAYOUT.pack(micros, key.seq, key.ordinal)
        left, right = block[:_HALF], block[_HALF:]
        for n in range(_ROUNDS):
            left, right = right, _xor(left, self._round(n, right))
        return base64.b32encode(left + right).decode().lower()

    def decode(self, text: str) -> RowKey | None:
        """The place an id names, or None when it is not an id at all."""
        if len(text) != ID_CHARS:
            return None
        try:
            block = base64.b32decode(text.upper())
        except (binascii.Error, ValueError):
            return None
        left, right = block[:_HALF], block[_HALF:]
        for n in reversed(range(_ROUNDS)):
            left, right = _xor(right, self._round(n, left)), left
        micros, seq, ordinal = _LAYOUT.unpack(left + right)
        try:
            received_at = _EPOCH + micros * _MICROSECOND
        except OverflowError:
            return None
        return RowKey(received_at, seq, ordinal)

    def _round(self, n: int, half: bytes) -> bytes:
        return hmac.new(self._key, bytes([n]) + half, hashlib.sha256).digest()[:_HALF]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))
