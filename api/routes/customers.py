"""The caller's customer."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentCaller, Db
from api.schemas.errors import COMMON
from api.schemas.users import CustomerPublic
from warehouse import identity

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=COMMON)


@router.get("/me")
async def my_customer(caller: CurrentCaller, conn: Db) -> CustomerPublic:
    """Your organisation: its id, name and billing status."""
    customer = await identity.get_customer(conn, caller.customer_id)
    return CustomerPublic.model_validate(customer, from_attributes=True)
