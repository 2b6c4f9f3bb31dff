"""Setting up a deployment: its first customer and admin."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import Db, State
from api.schemas.errors import error_responses
from api.schemas.users import (
    CustomerPublic,
    OnboardingCreate,
    OnboardingPublic,
    OnboardingStatus,
    SessionPublic,
)
from api.security import issue_session
from warehouse import audit, identity, users
from warehouse.access import ROLE_SCOPES, Caller
from warehouse.passwords import hash_password

router = APIRouter(prefix="/v1/onboarding", tags=["onboarding"])


@router.get("/status")
async def onboarding_status(state: State, conn: Db) -> OnboardingStatus:
    """Whether this deployment has been set up, and whether sign-up is open."""
    return OnboardingStatus(
        onboarded=await identity.is_onboarded(conn),
        open_signup=state.settings.open_signup,
    )


@router.post("", status_code=201, responses=error_responses(409, 422))
async def onboard(body: OnboardingCreate, state: State, conn: Db) -> OnboardingPublic:
    """Create the first customer and its admin, and return a session for the admin.

    Once a customer exists this answers 409, unless open sign-up is enabled:
    then every call creates a new customer with its own admin.
    """
    customer = await identity.onboard_customer(
        conn, name=body.customer_name, open_signup=state.settings.open_signup
    )
    password_hash = await run_in_threadpool(hash_password, body.password)
    user_id = await users.insert(
        conn, customer_id=customer.id, email=body.email, name=body.name,
        role="admin", team_id=None, password_hash=password_hash,
    )  # fmt: skip
    admin = Caller(customer.id, user_id, "admin", "session", ROLE_SCOPES["admin"])
    await audit.record(
        conn, admin, action="customer.created", target_type="customer",
        target_id=customer.id, after={"name": customer.name, "admin": str(user_id)},
    )  # fmt: skip
    session = issue_session(state.settings, user_id)
    return OnboardingPublic(
        customer=CustomerPublic.model_validate(customer, from_attributes=True),
        session=SessionPublic(
            token=session.token, expires_at=session.expires_at, user_id=user_id
        ),
    )
