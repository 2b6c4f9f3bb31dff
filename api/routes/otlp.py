"""OTLP/HTTP receivers: POST /v1/traces, /v1/metrics and /v1/logs.

Answers follow the OTLP/HTTP specification: the reply is in the request's
content type, bad data is a 400 with a google.rpc.Status, individually bad
items are a partial success, and only outages answer 503 with Retry-After, so
exporters retry exactly what may succeed later.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from fastapi import APIRouter, Request, Response

from api.deps import State, bearer_token
from api.errors import (
    GRPC_CODES,
    ApiError,
    Forbidden,
    Unauthorized,
    Unavailable,
    ingest_status,
)
from api.state import AppState
from ingest.compression import inflate
from ingest.errors import IngestError, PayloadTooLarge, UnsupportedMediaType
from ingest.records import Signal
from ingest.responses import JSON, export_response, media_type, status_body
from stereos.ingestion import Prepared, attribute, prepare
from warehouse import credentials
from warehouse.credentials import Credential
from warehouse.db import is_unavailable, pooled
from warehouse.errors import DatabaseUnavailable
from warehouse.log import PayloadMeta, append

logger = logging.getLogger(__name__)
router = APIRouter(tags=["otlp"])

DATA_EXCEPTION_CLASS = "22"
# Methods each OTLP path refuses; GET /v1/traces is the trace explorer's list.
REFUSED_METHODS = {
    "/v1/traces": ["PUT", "PATCH", "DELETE"],
    "/v1/metrics": ["GET", "PUT", "PATCH", "DELETE"],
    "/v1/logs": ["GET", "PUT", "PATCH", "DELETE"],
}


@dataclass(slots=True)
class Outcome:
    """What one request did, for its log line."""

    credential: str = "-"
    accepted: int = 0
    rejected: int = 0
    bytes: int = 0
    status: int = 200


@router.post("/v1/traces", summary="Export spans (OTLP/HTTP)")
async def export_traces(request: Request, state: State) -> Response:
    """Receive an ExportTraceServiceRequest in protobuf or JSON."""
    return await _export("traces", request, state)


@router.post("/v1/metrics", summary="Export metrics (OTLP/HTTP)")
async def export_metrics(request: Request, state: State) -> Response:
    """Receive an ExportMetricsServiceRequest in protobuf or JSON."""
    return await _export("metrics", request, state)


@router.post("/v1/logs", summary="Export logs (OTLP/HTTP)")
async def export_logs(request: Request, state: State) -> Response:
    """Receive an ExportLogsServiceRequest in protobuf or JSON."""
    return await _export("logs", request, state)


async def method_not_allowed(request: Request) -> Response:
    """Other methods on an OTLP path: 405 as a google.rpc.Status, like the rest."""
    reply = media_type(request.headers.get("content-type")) or JSON
    message = f"{request.method} is not allowed here; OTLP/HTTP exports use POST"
    body = status_body(reply, GRPC_CODES[405], message)
    allowed = "GET, POST" if request.url.path == "/v1/traces" else "POST"
    return Response(body, status_code=405, media_type=reply, headers={"Allow": allowed})


for _path, _methods in REFUSED_METHODS.items():
    router.add_api_route(
        _path, method_not_allowed, methods=_methods, include_in_schema=False
    )


async def _export(signal: Signal, request: Request, state: AppState) -> Response:
    started = time.perf_counter()
    media = media_type(request.headers.get("content-type"))
    outcome = Outcome()
    try:
        response = await _guarded(signal, request, state, media, outcome)
    except ApiError as exc:
        response = _error(media, exc.status, exc.message, state)
    except IngestError as exc:
        response = _error(media, ingest_status(exc), str(exc), state)
    outcome.status = response.status_code
    logger.info(
        "ingest credential=%s signal=%s accepted=%d rejected=%d bytes=%d "
        "ms=%.1f status=%d",
        outcome.credential, signal, outcome.accepted, outcome.rejected,
        outcome.bytes, (time.perf_counter() - started) * 1000, outcome.status,
    )  # fmt: skip
    return response


async def _guarded(
    signal: Signal,
    request: Request,
    state: AppState,
    media: str | None,
    outcome: Outcome,
) -> Response:
    settings = state.settings
    if state.inflight >= settings.max_inflight_requests:
        raise Unavailable("ingest is overloaded; retry later")
    state.inflight += 1
    try:
        credential = await _authenticate(state, bearer_token(request))
        outcome.credential = str(credential.id)
        if media is None:
            raise UnsupportedMediaType(
                f"content-type {request.headers.get('content-type')!r} is not "
                "supported; send application/x-protobuf or application/json"
            )
        raw = await _read_body(request, settings.max_body_bytes)
        body = inflate(
            raw, request.headers.get("content-encoding"), settings.max_body_bytes
        )
        outcome.bytes = len(body)
        prepared = prepare(signal, media, body)
        decoded = prepared.decoded
        outcome.accepted, outcome.rejected = len(decoded.items), decoded.rejected
        if decoded.items or decoded.rejected:
            await _store(state, credential, request, signal, media, body, prepared)
        payload = export_response(signal, media, decoded.rejected, decoded.first_error)
        return Response(payload, media_type=media)
    finally:
        state.inflight -= 1


async def _authenticate(state: AppState, secret: str) -> Credential:
    try:
        async with pooled(state.pool) as conn:
            credential = await credentials.authenticate(conn, secret)
            if credential is not None:
                await credentials.touch(conn, credential)
    except DatabaseUnavailable as exc:
        raise Unavailable() from exc
    if credential is None:
        raise Unauthorized("the bearer token is unknown, revoked or expired")
    if "ingest" not in credential.scopes:
        raise Forbidden("this token has no 'ingest' scope")
    return credential


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing early once it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _store(
    state: AppState,
    credential: Credential,
    request: Request,
    signal: Signal,
    media: str,
    body: bytes,
    prepared: Prepared,
) -> None:
    meta = PayloadMeta(
        received_at=datetime.now(UTC),
        customer_id=credential.customer_id,
        team_id=credential.team_id,
        credential_id=credential.id,
        credential_kind=credential.kind,
        signal=signal,
        content_type=media,
        content_encoding=request.headers.get("content-encoding"),
        source=request.headers.get("user-agent"),
    )
    try:
        async with pooled(state.pool) as conn:
            rows = await attribute(
                conn,
                customer_id=credential.customer_id,
                credential_kind=credential.kind,
                team_id=credential.team_id,
                user_id=credential.user_id,
                rows=prepared.rows,
            )
            await append(conn, meta=meta, body=body, rows=rows)
    except DatabaseUnavailable as exc:
        raise Unavailable() from exc
    except psycopg.Error as exc:
        if is_unavailable(exc):
            raise Unavailable() from exc
        if exc.sqlstate and exc.sqlstate.startswith(DATA_EXCEPTION_CLASS):
            raise ApiError(
                400, "invalid_data", f"a value cannot be stored: {exc}"
            ) from exc
        raise


def _error(media: str | None, status: int, message: str, state: AppState) -> Response:
    reply = media or JSON
    headers = {}
    if status == 503:
        headers["Retry-After"] = str(state.settings.retry_after_s)
    body = status_body(reply, GRPC_CODES.get(status, 2), message)
    return Response(body, status_code=status, media_type=reply, headers=headers)
