"""The database itself refuses to break the identity invariants or the audit log."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.factories import make_team, make_tenant, make_user


def test_demoting_the_last_admin_is_refused_at_commit(db: psycopg.Connection) -> None:
    tenant = make_tenant(db)

    with pytest.raises(
        psycopg.errors.CheckViolation, match="at least one active admin"
    ):
        db.execute("UPDATE users SET role = 'manager' WHERE id = %s", (tenant.user_id,))


def test_admins_may_swap_within_one_transaction(db: psycopg.Connection) -> None:
    tenant = make_tenant(db)
    other = make_user(db, tenant, email="b@a.test", role="user")

    with db.transaction():
        db.execute("UPDATE users SET role = 'user' WHERE id = %s", (tenant.user_id,))
        db.execute("UPDATE users SET role = 'admin' WHERE id = %s", (other,))

    roles = db.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()
    assert roles == (1,)


def test_removing_a_teams_last_leader_is_refused(db: psycopg.Connection) -> None:
    tenant = make_tenant(db)
    manager = make_user(db, tenant, email="m@a.test", role="manager")
    team = make_team(db, tenant, members=(manager,))

    with pytest.raises(psycopg.errors.CheckViolation, match="manager or admin"):
        db.execute(
            "DELETE FROM team_memberships WHERE team_id = %s AND user_id = %s",
            (team, manager),
        )
    with pytest.raises(psycopg.errors.CheckViolation, match="manager or admin"):
        db.execute("UPDATE users SET active = false WHERE id = %s", (manager,))


def test_archived_teams_need_no_leader(db: psycopg.Connection) -> None:
    tenant = make_tenant(db)
    manager = make_user(db, tenant, email="m@a.test", role="manager")
    team = make_team(db, tenant, members=(manager,))
    db.execute("UPDATE teams SET archived_at = now() WHERE id = %s", (team,))

    db.execute("DELETE FROM team_memberships WHERE team_id = %s", (team,))

    with pytest.raises(psycopg.errors.CheckViolation, match="manager or admin"):
        db.execute("UPDATE teams SET archived_at = NULL WHERE id = %s", (team,))


def test_a_user_cannot_change_their_own_role_even_in_sql(
    db: psycopg.Connection,
) -> None:
    tenant = make_tenant(db)
    user = make_user(db, tenant, email="u@a.test")

    with (
        pytest.raises(psycopg.errors.CheckViolation, match="their own role"),
        db.transaction(),
    ):
        db.execute("SELECT set_config('stereos.actor_user_id', %s, true)", (str(user),))
        db.execute("UPDATE users SET role = 'admin' WHERE id = %s", (user,))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
def test_audit_log_is_append_only(db: psycopg.Connection, statement: str) -> None:
    tenant = make_tenant(db)
    db.execute(
        "INSERT INTO audit_log (customer_id, action, target_type, target_id) "
        "VALUES (%s, 'test', 'user', %s)",
        (tenant.customer_id, uuid.uuid4()),
    )

    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        db.execute(statement.encode())

    assert db.execute("SELECT count(*) FROM audit_log").fetchone() == (1,)
