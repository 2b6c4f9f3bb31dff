"""Role checks shared by the JSON API routes; visibility lives in warehouse.access."""

from __future__ import annotations

from api.errors import Forbidden
from warehouse.access import Caller


def require_admin(caller: Caller, doing: str) -> None:
    """Forbidden unless the caller is an admin."""
    if not caller.is_admin:
        raise Forbidden(f"only an admin may {doing}")


def require_leader(caller: Caller, doing: str) -> None:
    """Forbidden unless the caller is a manager or an admin."""
    if not caller.is_leader:
        raise Forbidden(f"only a manager or an admin may {doing}")
