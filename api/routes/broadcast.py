"""The customer's OpenRouter Broadcast credential (`orb_...`)."""

from __future__ import annotations

from fastapi import APIRouter

from api.access import require_admin
from api.deps import CurrentCaller, Db, Writer
from api.schemas.errors import COMMON
from api.schemas.tokens import BroadcastCreated, BroadcastList, BroadcastPublic
from warehouse import tokens

router = APIRouter(
    prefix="/v1/broadcast-credentials", tags=["broadcast"], responses=COMMON
)


@router.get("")
async def list_broadcast_credentials(caller: CurrentCaller, conn: Db) -> BroadcastList:
    """Your organisation's Broadcast credentials, without secrets (admins)."""
    require_admin(caller, "see Broadcast credentials")
    rows = await tokens.broadcast_credentials(conn, customer_id=caller.customer_id)
    return BroadcastList(
        items=[BroadcastPublic.model_validate(r, from_attributes=True) for r in rows]
    )


@router.post("", status_code=201)
async def rotate_broadcast_credential(caller: Writer, conn: Db) -> BroadcastCreated:
    """Create a Broadcast credential, revoking the previous one (admins).

    Paste the secret into OpenRouter's Broadcast settings; it is shown only
    in this answer.
    """
    require_admin(caller, "rotate the Broadcast credential")
    credential, secret = await tokens.rotate_broadcast(conn, caller)
    public = BroadcastPublic.model_validate(credential, from_attributes=True)
    return BroadcastCreated(**public.model_dump(), secret=secret)
