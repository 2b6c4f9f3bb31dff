-- The append-only log of OTLP requests and the row projections derived from it.
-- Every table is range-partitioned by month of receive time, so that retention
-- can detach and drop whole partitions instead of deleting rows.

CREATE FUNCTION stereos_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING HINT = 'derived data is rebuilt with "stereos replay"; '
                     'old data is removed by dropping a partition';
END
$$;

CREATE TABLE payloads (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    received_at timestamptz NOT NULL,
    -- The writing transaction: a follower reads only rows whose transaction is
    -- older than every one still running, since sequence numbers are handed out
    -- before commit and can become visible out of order.
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    customer_id uuid NOT NULL REFERENCES customers (id),
    team_id uuid,
    credential_id uuid NOT NULL,
    credential_kind text NOT NULL CHECK (credential_kind IN ('token', 'broadcast')),
    signal text NOT NULL CHECK (signal IN ('traces', 'metrics', 'logs')),
    content_type text NOT NULL,
    content_encoding text,
    source text,
    body bytea NOT NULL,
    PRIMARY KEY (received_at, seq)
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE payloads IS
    'Every accepted OTLP request, decompressed, exactly as received.';
-- Bodies are mostly compressed protobuf already: skip TOAST compression.
ALTER TABLE payloads ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE INDEX payloads_seq ON payloads (seq);

CREATE TRIGGER payloads_append_only BEFORE UPDATE OR DELETE ON payloads
    FOR EACH ROW EXECUTE FUNCTION stereos_refuse_change();
CREATE TRIGGER payloads_no_truncate BEFORE TRUNCATE ON payloads
    FOR EACH STATEMENT EXECUTE FUNCTION stereos_refuse_change();

CREATE TABLE spans (
    seq bigint NOT NULL,
    ordinal integer NOT NULL,
    received_at timestamptz NOT NULL,
    customer_id uuid NOT NULL,
    team_id uuid,
    user_id uuid,
    user_ref text,
    attributed boolean NOT NULL,
    trace_id text NOT NULL,
    span_id text NOT NULL,
    parent_span_id text,
    name text NOT NULL,
    kind smallint NOT NULL,
    status_code smallint NOT NULL,
    status_message text,
    start_time timestamptz NOT NULL,
    start_unix_nano bigint NOT NULL,
    end_unix_nano bigint NOT NULL,
    service_name text,
    scope_name text,
    span_class text NOT NULL CHECK (span_class IN ('llm', 'tool', 'other')),
    operation text,
    vendor text,
    model text,
    input_tokens bigint,
    output_tokens bigint,
    cached_tokens bigint,
    cache_creation_tokens bigint,
    cost_usd double precision,
    cost_source text,
    session_id text,
    tool_name text,
    response_id text,
    diff text,
    attributes jsonb NOT NULL,
    resource jsonb NOT NULL,
    events jsonb,
    links jsonb,
    PRIMARY KEY (received_at, seq, ordinal)
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE spans IS
    'One row per span in the log, duplicates included; read spans_deduped.';
CREATE INDEX spans_key ON spans (customer_id, trace_id, span_id, seq, ordinal);

CREATE TABLE metric_points (
    seq bigint NOT NULL,
    ordinal integer NOT NULL,
    received_at timestamptz NOT NULL,
    customer_id uuid NOT NULL,
    team_id uuid,
    user_id uuid,
    user_ref text,
    attributed boolean NOT NULL,
    metric_name text NOT NULL,
    metric_type text NOT NULL CHECK (metric_type IN
        ('gauge', 'sum', 'histogram', 'exponential_histogram', 'summary')),
    unit text,
    temporality smallint,
    is_monotonic boolean,
    start_unix_nano bigint,
    time_unix_nano bigint NOT NULL,
    time timestamptz NOT NULL,
    value double precision,
    int_value bigint,
    count bigint,
    sum double precision,
    min double precision,
    max double precision,
    distribution jsonb,
    service_name text,
    scope_name text,
    vendor text,
    model text,
    session_id text,
    attributes jsonb NOT NULL,
    resource jsonb NOT NULL,
    dedup_key bytea NOT NULL,
    PRIMARY KEY (received_at, seq, ordinal)
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE metric_points IS
    'One row per data point in the log, duplicates included; read '
    'metric_points_deduped.';
CREATE INDEX metric_points_key ON metric_points (customer_id, dedup_key, seq, ordinal);

CREATE TABLE log_records (
    seq bigint NOT NULL,
    ordinal integer NOT NULL,
    received_at timestamptz NOT NULL,
    customer_id uuid NOT NULL,
    team_id uuid,
    user_id uuid,
    user_ref text,
    attributed boolean NOT NULL,
    time_unix_nano bigint NOT NULL,
    observed_unix_nano bigint,
    time timestamptz NOT NULL,
    severity_number smallint,
    severity_text text,
    event_name text,
    body jsonb,
    trace_id text,
    span_id text,
    service_name text,
    scope_name text,
    record_class text NOT NULL CHECK (record_class IN ('llm', 'tool', 'other')),
    vendor text,
    model text,
    input_tokens bigint,
    output_tokens bigint,
    cached_tokens bigint,
    cache_creation_tokens bigint,
    cost_usd double precision,
    cost_source text,
    session_id text,
    tool_name text,
    attributes jsonb NOT NULL,
    resource jsonb NOT NULL,
    dedup_key bytea NOT NULL,
    PRIMARY KEY (received_at, seq, ordinal)
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE log_records IS
    'One row per log record in the log, duplicates included; read '
    'log_records_deduped.';
CREATE INDEX log_records_key ON log_records (customer_id, dedup_key, seq, ordinal);

-- Creates the monthly partitions of every log table for the months from
-- p_from on. Partition bounds are UTC month starts.
CREATE FUNCTION stereos_ensure_partitions(p_from timestamptz, p_months integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz;
    month_end timestamptz;
    parent text;
    part text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('stereos_ensure_partitions'));
    FOR i IN 0 .. p_months - 1 LOOP
        month_start := (date_trunc('month', p_from AT TIME ZONE 'UTC')
                        + make_interval(months => i)) AT TIME ZONE 'UTC';
        month_end := ((month_start AT TIME ZONE 'UTC') + interval '1 month')
                     AT TIME ZONE 'UTC';
        FOREACH parent IN ARRAY
            ARRAY['payloads', 'spans', 'metric_points', 'log_records']
        LOOP
            part := parent || '_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYYMM');
            CONTINUE WHEN to_regclass(part) IS NOT NULL;
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                part, parent, month_start, month_end);
            IF parent = 'payloads' THEN
                -- TRUNCATE of a partition does not fire its parent's trigger.
                EXECUTE format(
                    'CREATE TRIGGER payloads_no_truncate BEFORE TRUNCATE ON %I '
                    'FOR EACH STATEMENT EXECUTE FUNCTION stereos_refuse_change()',
                    part);
            END IF;
        END LOOP;
    END LOOP;
END
$$;
