-- Customers, users, teams, memberships and the credentials ingest authenticates.
-- Composite foreign keys on (customer_id, id) keep every reference inside one
-- customer, so a row can never point at another tenant's team or user.

CREATE TABLE customers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    billing_status text NOT NULL DEFAULT 'trial'
        CHECK (billing_status IN ('trial', 'active', 'past_due', 'canceled')),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customers IS 'A tenant: one organisation using Stereos.';

CREATE TABLE teams (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid NOT NULL REFERENCES customers (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    profile_pic text,
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, id)
);
CREATE UNIQUE INDEX teams_customer_name ON teams (customer_id, lower(name))
    WHERE archived_at IS NULL;

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid NOT NULL REFERENCES customers (id),
    email text NOT NULL CHECK (position('@' IN email) > 1),
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'manager', 'user')),
    team_id uuid,
    password_hash text,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    deactivated_at timestamptz,
    UNIQUE (customer_id, id),
    FOREIGN KEY (customer_id, team_id) REFERENCES teams (customer_id, id)
);
COMMENT ON COLUMN users.team_id IS 'The user''s own team: the default for their spans.';
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE team_memberships (
    customer_id uuid NOT NULL,
    team_id uuid NOT NULL,
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id),
    FOREIGN KEY (customer_id, team_id) REFERENCES teams (customer_id, id),
    FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id)
);
CREATE INDEX team_memberships_user ON team_memberships (user_id);

-- Tokens are high-entropy random strings, so a SHA-256 digest is enough to
-- store them: nothing can be guessed from it, and lookup stays one index probe.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid NOT NULL REFERENCES customers (id),
    team_id uuid NOT NULL,
    user_id uuid,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    scopes text[] NOT NULL
        CHECK (scopes <@ ARRAY['ingest', 'read', 'admin']::text[]),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at timestamptz,
    revoked_at timestamptz,
    FOREIGN KEY (customer_id, team_id) REFERENCES teams (customer_id, id),
    FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id)
);
COMMENT ON COLUMN api_tokens.user_id IS
    'The user the token acts for; NULL for tokens made on the command line.';

CREATE TABLE broadcast_credentials (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid NOT NULL REFERENCES customers (id),
    prefix text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    FOREIGN KEY (customer_id, created_by) REFERENCES users (customer_id, id)
);
COMMENT ON TABLE broadcast_credentials IS
    'Customer-scoped credentials for OpenRouter Broadcast destinations.';
