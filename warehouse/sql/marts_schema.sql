-- The analysts' marts. Every table is rebuilt from the lake (itself a copy of
-- the deduplicated log); daily tables are rebuilt for the days that changed,
-- profiles entirely on every run. Column comments: warehouse/marts_docs.py.
CREATE OR REPLACE TABLE marts_meta (
    as_of_seq BIGINT NOT NULL,
    as_of_received_at TIMESTAMPTZ,
    built_at TIMESTAMPTZ NOT NULL,
    window_start DATE NOT NULL,
    window_end DATE NOT NULL,
    price_version VARCHAR NOT NULL,
    dirty_through BIGINT NOT NULL,
    days_rebuilt INTEGER NOT NULL,
    rebuilt_days DATE[],
    full_build BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS prices (
    vendor VARCHAR,
    model VARCHAR NOT NULL,
    day DATE NOT NULL,
    price_version VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    input_mtok DOUBLE NOT NULL,
    input_tiers STRUCT(start BIGINT, price DOUBLE)[],
    cache_read_mtok DOUBLE,
    cache_read_tiers STRUCT(start BIGINT, price DOUBLE)[],
    cache_write_mtok DOUBLE,
    cache_write_tiers STRUCT(start BIGINT, price DOUBLE)[],
    output_mtok DOUBLE,
    output_tiers STRUCT(start BIGINT, price DOUBLE)[]
);
CREATE TABLE IF NOT EXISTS usage_facts (
    day DATE NOT NULL,
    customer_id VARCHAR NOT NULL,
    team_id VARCHAR,
    user_id VARCHAR,
    attributed BOOLEAN,
    tool VARCHAR NOT NULL,
    vendor VARCHAR,
    model VARCHAR,
    session_id VARCHAR,
    signal VARCHAR NOT NULL,
    counted BOOLEAN NOT NULL,
    spans BIGINT NOT NULL,
    llm_calls BIGINT NOT NULL,
    tool_calls BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_tokens BIGINT NOT NULL,
    cache_creation_tokens BIGINT NOT NULL,
    cost_sent_usd DOUBLE NOT NULL,
    cost_computed_usd DOUBLE NOT NULL,
    uncosted_calls BIGINT NOT NULL,
    lines_added BIGINT NOT NULL,
    lines_removed BIGINT NOT NULL,
    price_version VARCHAR,
    first_seen_at TIMESTAMPTZ,
    last_seen_at TIMESTAMPTZ,
    lines_counted BOOLEAN
);
-- Marts files made before lines of code had their own precedence.
ALTER TABLE usage_facts ADD COLUMN IF NOT EXISTS lines_counted BOOLEAN;
