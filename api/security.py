"""Session tokens: short-lived HS256 JWTs naming the user they were issued to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from api.errors import Unauthorized
from stereos.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


@dataclass(frozen=True, slots=True)
class Session:
    """A signed session token and when it stops working."""

    token: str
    expires_at: datetime


def issue_session(settings: Settings, user_id: uuid.UUID) -> Session:
    """Sign a session for `user_id`, valid for the configured lifetime."""
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=settings.session_ttl_s)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "iat": now,
        "exp": expires_at,
    }
    token = jwt.encode(claims, settings.session_secret, algorithm=ALGORITHM)
    return Session(token, expires_at)


def session_user_id(settings: Settings, token: str) -> uuid.UUID:
    """The user a session token names, or Unauthorized.

    Only HS256 is accepted, so neither `none` nor a public-key algorithm
    chosen by the sender can slip through.
    """
    try:
        claims = jwt.decode(
            token,
            settings.session_secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
        )
        return uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthorized(
            "the session token is invalid or expired; log in again"
        ) from exc
