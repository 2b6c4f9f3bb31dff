"""Every HTTP status the API answers with for an error is chosen here.

ApiError carries a status and a code; the exception handlers installed by
`install` turn it, our packages' errors and unexpected failures into the one
error shape `{"error": {"code": ..., "message": ...}}`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.errors import (
    IngestError,
    PayloadTooLarge,
    UndecodableBody,
    UnsupportedMediaType,
)
from warehouse.db import is_unavailable
from warehouse.errors import Conflict, DatabaseUnavailable, NotFound

logger = logging.getLogger(__name__)

# gRPC status codes, for the google.rpc.Status bodies of OTLP answers.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 503: 14}
INGEST_STATUS: dict[type[IngestError], int] = {
    UnsupportedMediaType: 415,
    PayloadTooLarge: 413,
    UndecodableBody: 400,
}


class ApiError(Exception):
    """An error with its HTTP status and a short machine-readable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Unauthorized(ApiError):
    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(401, "unauthorized", message)


class Forbidden(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(403, "forbidden", message)


class InvalidRequest(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(422, "invalid_request", message)


class Unavailable(ApiError):
    def __init__(
        self, message: str = "the database is unavailable; retry later"
    ) -> None:
        super().__init__(503, "unavailable", message)


def ingest_status(exc: IngestError) -> int:
    """The HTTP status for an ingest error."""
    return INGEST_STATUS.get(type(exc), 400)


def error_response(
    status: int, code: str, message: str, *, retry_after: int | None = None
) -> JSONResponse:
    """The API's one error shape."""
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI, *, retry_after: int) -> None:
    """Register the handlers that give every error the API's shape and status."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        wait = retry_after if exc.status == 503 else None
        return error_response(exc.status, exc.code, exc.message, retry_after=wait)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc.status_code, _code(exc.status_code), str(exc.detail))

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid request')}"
        return error_response(422, "invalid_request", message)

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return error_response(404, "not_found", str(exc))

    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        return error_response(409, "conflict", str(exc))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_unavailable(exc):
            logger.warning("database unavailable: %s", exc)
            return error_response(
                503, "unavailable", "the database is unavailable; retry later",
                retry_after=retry_after,
            )  # fmt: skip
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "internal error; it has been logged")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Conflict, conflict)
    app.add_exception_handler(DatabaseUnavailable, unexpected)
    app.add_exception_handler(Exception, unexpected)


def _code(status: int) -> str:
    return {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "payload_too_large",
        415: "unsupported_media_type",
        422: "invalid_request",
    }.get(status, "error")
