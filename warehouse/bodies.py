"""How the log stores payload bodies: zstd-compressed by us, or as received.

PostgreSQL would compress a body with pglz (slow) or lz4 (absent from some
builds, the embedded one among them); compressing here at zstd's fastest
useful level costs less CPU than either, and stores a 303 KiB protobuf
request in about 35 KiB. Bodies too small to gain stay as they came.
"""

from __future__ import annotations

import zstandard

from warehouse.errors import WarehouseError

ZSTD = "zstd"
LEVEL = 1
# Below this a body fits in its heap row anyway; compressing gains nothing.
MIN_BYTES = 2048

# Not thread-safe: each server process appends from its one event loop.
_compressor = zstandard.ZstdCompressor(level=LEVEL, write_content_size=True)
_decompressor = zstandard.ZstdDecompressor()


def pack_body(body: bytes) -> tuple[bytes, str | None]:
    """(bytes to store, body_compression) for a received body."""
    if len(body) < MIN_BYTES:
        return body, None
    packed: bytes = _compressor.compress(body)
    if len(packed) >= len(body):
        return body, None
    return packed, ZSTD


def unpack_body(stored: bytes, compression: str | None) -> bytes:
    """The received body back from what the log stores."""
    if compression is None:
        return stored
    if compression != ZSTD:
        raise WarehouseError(f"unknown body compression {compression!r} in the log")
    try:
        body: bytes = _decompressor.decompress(stored)
    except zstandard.ZstdError as exc:
        raise WarehouseError(f"a stored body does not decompress: {exc}") from exc
    return body
