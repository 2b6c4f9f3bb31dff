-- Access control: invites, the append-only audit log and the identity
-- invariants, checked here as well as in the API so that no code path (a
-- script, a future route, a race between two requests) can break them.

-- An invite lets a new user choose their own password once. Only a digest
-- of the code is stored, like API tokens.
CREATE TABLE invites (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid NOT NULL,
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id)
);
CREATE INDEX invites_user ON invites (user_id);

CREATE TABLE audit_log (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    customer_id uuid NOT NULL REFERENCES customers (id),
    at timestamptz NOT NULL DEFAULT now(),
    actor_user_id uuid,
    actor_token_id uuid,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id uuid,
    before jsonb,
    after jsonb
);
COMMENT ON TABLE audit_log IS
    'Who changed what in a customer''s identity and credentials; append-only.';
CREATE INDEX audit_log_customer ON audit_log (customer_id, seq DESC);

CREATE FUNCTION stereos_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % is refused',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION stereos_refuse_audit_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION stereos_refuse_audit_change();

-- Invariant: a user cannot change their own role. The application names the
-- acting user in the transaction-local setting stereos.actor_user_id.
CREATE FUNCTION stereos_refuse_self_role_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.role IS DISTINCT FROM OLD.role
       AND current_setting('stereos.actor_user_id', true) = OLD.id::text THEN
        RAISE EXCEPTION 'a user cannot change their own role'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER users_no_self_role_change BEFORE UPDATE OF role ON users
    FOR EACH ROW EXECUTE FUNCTION stereos_refuse_self_role_change();

-- Invariant: a customer keeps at least one active admin. Checked at commit
-- (deferred), so a transaction may promote one admin before demoting another.
-- Only a change that takes an admin away is checked: a customer being set up
-- on the command line may have no admin yet.
CREATE FUNCTION stereos_keep_an_admin() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM users
        WHERE customer_id = OLD.customer_id AND role = 'admin' AND active
    ) THEN
        RAISE EXCEPTION 'a customer must keep at least one active admin'
            USING ERRCODE = 'check_violation',
                  HINT = 'make another user an admin first';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER users_keep_an_admin
    AFTER UPDATE OF role, active ON users
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.role = 'admin' AND OLD.active
          AND (NEW.role <> 'admin' OR NOT NEW.active))
    EXECUTE FUNCTION stereos_keep_an_admin();

-- Invariant: every team keeps at least one active manager or admin member.
-- Archived teams are exempt; as above only losing a leader is checked.
CREATE FUNCTION stereos_team_has_leader(p_team uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (
               SELECT 1 FROM teams
               WHERE id = p_team AND archived_at IS NULL)
        OR EXISTS (
               SELECT 1 FROM team_memberships m
               JOIN users u ON u.id = m.user_id
               WHERE m.team_id = p_team
                 AND u.active AND u.role IN ('admin', 'manager'))
$$;

CREATE FUNCTION stereos_check_team_leader(p_team uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT stereos_team_has_leader(p_team) THEN
        RAISE EXCEPTION 'team % must keep at least one manager or admin member',
            p_team
            USING ERRCODE = 'check_violation',
                  HINT = 'add another manager to the team first';
    END IF;
END
$$;

CREATE FUNCTION stereos_keep_leader_on_leave() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stereos_check_team_leader(OLD.team_id);
    RETURN NULL;
END
$$;

CREATE FUNCTION stereos_keep_leader_on_demotion() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    team uuid;
BEGIN
    FOR team IN SELECT team_id FROM team_memberships WHERE user_id = OLD.id LOOP
        PERFORM stereos_check_team_leader(team);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER team_memberships_keep_leader
    AFTER DELETE ON team_memberships
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION stereos_keep_leader_on_leave();

CREATE CONSTRAINT TRIGGER users_keep_team_leader
    AFTER UPDATE OF role, active ON users
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.role IN ('admin', 'manager') AND OLD.active
          AND (NEW.role = 'user' OR NOT NEW.active))
    EXECUTE FUNCTION stereos_keep_leader_on_demotion();

-- Unarchiving a team is not offered, but a direct UPDATE must not bring
-- back a leaderless team either.
CREATE FUNCTION stereos_keep_leader_on_unarchive() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stereos_check_team_leader(NEW.id);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER teams_keep_leader
    AFTER UPDATE OF archived_at ON teams
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.archived_at IS NOT NULL AND NEW.archived_at IS NULL)
    EXECUTE FUNCTION stereos_keep_leader_on_unarchive();
