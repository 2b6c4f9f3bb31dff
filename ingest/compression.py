"""Bounded decompression of request bodies: never inflate past the limit."""

from __future__ import annotations

import io
import zlib

import zstandard

from ingest.errors import PayloadTooLarge, UndecodableBody, UnsupportedMediaType

GZIP_WBITS = 16 + zlib.MAX_WBITS
ZLIB_WBITS = zlib.MAX_WBITS
RAW_DEFLATE_WBITS = -zlib.MAX_WBITS
SUPPORTED = ("gzip", "deflate", "zstd", "identity")


def inflate(body: bytes, encoding: str | None, limit: int) -> bytes:
    """`body` decoded per Content-Encoding, or PayloadTooLarge past `limit` bytes.

    Decompression stops one byte past the limit, so a small body that expands
    to gigabytes costs no more than `limit` bytes of memory.
    """
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        result = body
    elif name in ("gzip", "x-gzip"):
        result = _zlib(body, GZIP_WBITS, limit, name)
    elif name == "deflate":
        result = _deflate(body, limit)
    elif name == "zstd":
        result = _zstd(body, limit)
    else:
        raise UnsupportedMediaType(
            f"content-encoding {encoding!r} is not supported; "
            f"use one of {', '.join(SUPPORTED)}"
        )
    if len(result) > limit:
        raise PayloadTooLarge(
            f"body is larger than {limit} bytes after decompression; "
            "send smaller batches"
        )
    return result


def _zlib(body: bytes, wbits: int, limit: int, name: str) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise UndecodableBody(f"body is not valid {name} data: {exc}") from exc
    if len(out) <= limit and not inflater.eof:
        raise UndecodableBody(f"{name} body is truncated")
    return out


def _deflate(body: bytes, limit: int) -> bytes:
    # HTTP "deflate" means a zlib stream, but some clients send raw deflate.
    try:
        return _zlib(body, ZLIB_WBITS, limit, "deflate")
    except UndecodableBody:
        return _zlib(body, RAW_DEFLATE_WBITS, limit, "deflate")


def _zstd(body: bytes, limit: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body))
    try:
        return reader.read(limit + 1)
    except zstandard.ZstdError as exc:
        raise UndecodableBody(f"body is not valid zstd data: {exc}") from exc
