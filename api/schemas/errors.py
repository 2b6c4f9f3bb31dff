"""The one error body of the API, documented on every JSON route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

DESCRIPTIONS = {
    401: "No valid session or token",
    403: "Authenticated, but not allowed to do this",
    404: "No such resource in your organisation",
    409: "The change would break an invariant; the message says which",
    422: "The request is malformed; the message names the field",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable, e.g. `not_found`.")
    message: str = Field(description="What went wrong and what to do.")


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these error statuses."""
    return {
        status: {"model": ErrorBody, "description": DESCRIPTIONS[status]}
        for status in statuses
    }


# Every authenticated JSON route can answer these.
COMMON = error_responses(401, 403, 404, 422)
CONFLICTS = error_responses(409)
