"""Request bodies at the OTLP receivers, over real HTTP: the size limit, content
types and encodings, and how the log stores what it received."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable, Iterator

import psycopg
import pytest
import zstandard

from stereos.replay import replay
from tests.api.otlp_requests import (
    GIB,
    MIB,
    NOTHING,
    PROTOBUF,
    counts,
    json_request,
    json_span,
    post,
    proto_request,
    refusal,
)
from tests.factories import Tenant
from tests.fix_server import LiveServer, serve, server_settings
from warehouse.log import payloads_in_order


def gzip_of_zeros(size: int) -> bytes:
    """A valid gzip member of `size` zero bytes, made without compressing them all.

    After a full flush the deflater starts afresh, so every further mebibyte of
    zeros compresses to the same block: compress one, repeat it.
    """
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = bytes(MIB)
    block = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + block * (size // MIB) + deflater.flush() + trailer


def test_gzip_bomb_is_413_without_inflating_it(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    bomb = gzip_of_zeros(GIB)
    assert len(bomb) < 2 * MIB
    response = post(live.url, bomb, token=tenant.token, encoding="gzip")
    assert "after decompression" in refusal(response, 413)
    assert counts(db) == NOTHING


@pytest.fixture
def small(db_url: str) -> Iterator[LiveServer]:
    """A server that takes bodies of at most 1 KiB."""
    yield from serve(db_url, server_settings(max_body_bytes=1024))


def test_body_over_the_limit_is_413(
    small: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    spans = [json_span(f"{i:016x}") for i in range(20)]
    body = json_request(*spans)
    assert len(body) > 1024
    assert "larger than 1024 bytes" in refusal(
        post(small.url, body, token=tenant.token), 413
    )
    # Without a Content-Length the server counts as it reads.
    streamed = post(small.url, iter([body[:600], body[600:]]), token=tenant.token)
    assert "larger than 1024 bytes" in refusal(streamed, 413)
    packed = zlib.compress(body)
    assert len(packed) < 1024
    inflated = post(small.url, packed, token=tenant.token, encoding="deflate")
    assert "after decompression" in refusal(inflated, 413)
    assert counts(db) == NOTHING


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_unsupported_content_type_is_415(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection, content_type: str
) -> None:
    response = post(
        live.url, json_request(json_span("00f067aa0ba902b7")),
        token=tenant.token, content_type=content_type,
    )  # fmt: skip
    assert "application/x-protobuf" in refusal(response, 415)
    assert counts(db) == NOTHING


def test_unsupported_content_encoding_is_415(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    response = post(live.url, b"\x00", token=tenant.token, encoding="br")
    assert "gzip" in refusal(response, 415)
    assert counts(db) == NOTHING


def test_corrupt_gzip_is_400(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    response = post(live.url, b"not gzip", token=tenant.token, encoding="gzip")
    assert "gzip" in refusal(response, 400)
    packed = zlib.compress(json_request(json_span("00f067aa0ba902b7")), wbits=31)
    response = post(live.url, packed[:-12], token=tenant.token, encoding="gzip")
    assert "truncated" in refusal(response, 400)
    assert counts(db) == NOTHING


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("deflate", zlib.compress),
        ("deflate", lambda raw: zlib.compress(raw, wbits=-zlib.MAX_WBITS)),
        ("gzip", lambda raw: zlib.compress(raw, wbits=31)),
        ("zstd", lambda raw: zstandard.ZstdCompressor().compress(raw)),
    ],
)
def test_compressed_bodies_are_accepted(
    live: LiveServer,
    tenant: Tenant,
    db: psycopg.Connection,
    encoding: str,
    pack: Callable[[bytes], bytes],
) -> None:
    raw = proto_request(2).SerializeToString()
    response = post(
        live.url, pack(raw), token=tenant.token,
        content_type=PROTOBUF, encoding=encoding,
    )  # fmt: skip
    assert response.status_code == 200
    assert response.content == b""
    assert counts(db)["spans"] == 2
    row = db.execute("SELECT content_encoding, body FROM payloads").fetchone()
    assert row == (encoding, raw)


def test_large_bodies_are_stored_compressed_and_read_back_exactly(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection, db_url: str
) -> None:
    small = proto_request(1).SerializeToString()
    large = proto_request(200).SerializeToString()
    for raw in (small, large):
        response = post(live.url, raw, token=tenant.token, content_type=PROTOBUF)
        assert response.status_code == 200
    stored = db.execute(
        "SELECT body_compression, octet_length(body) FROM payloads ORDER BY seq"
    ).fetchall()
    assert stored[0] == (None, len(small))
    assert stored[1][0] == "zstd" and stored[1][1] < len(large) / 2
    before = counts(db)

    async def read_back() -> list[bytes]:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            async with conn.transaction():
                bodies = [p.body async for p in payloads_in_order(conn)]
            count = await replay(conn)
            assert count.payloads == 2
            return bodies

    assert asyncio.run(read_back()) == [small, large]
    assert before["spans"] == 201
    assert counts(db) == before
