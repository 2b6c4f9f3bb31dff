-- State of the rollup pipeline that follows the log into the lake and marts.
--
-- The follower's watermark is a snapshot, not a sequence number: sequence
-- numbers are handed out before commit, so they become visible out of order
-- and a gap below the newest one may still fill. Each run reads the payloads
-- whose writing transaction (txid) is visible in its own snapshot but was not
-- visible in the snapshot the previous run stored, then stores its own.
-- Snapshots only grow, so every committed payload is read by exactly one run;
-- a transaction still running is read by the first run after it commits,
-- whatever its sequence number. pg_snapshot_xmin of the stored snapshot bounds
-- the index scan: every txid below it was already visible.

CREATE TABLE pipeline_watermarks (
    name text PRIMARY KEY,
    -- Every payload whose txid is visible in this snapshot has been read
    -- ('1:1:' sees nothing: nothing read yet).
    snapshot pg_snapshot NOT NULL DEFAULT '1:1:',
    -- The newest log sequence number and receive time read so far: the
    -- "as of" of everything built from this watermark.
    last_seq bigint NOT NULL DEFAULT 0,
    last_received_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pipeline_watermarks IS
    'How far each follower of the log has read; see 0010_pipeline.sql.';

-- Lake days rewritten since the marts last published them.
CREATE TABLE pipeline_dirty_days (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day date NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pipeline_dirty_days IS
    'Days whose lake partitions changed and whose marts must be rebuilt.';

-- The follower's window query, without a scan of the whole log.
CREATE INDEX payloads_txid ON payloads (txid);
-- Spans repeating a gen_ai.response.id are one call (llm_calls); the lake
-- finds them when a new copy arrives.
CREATE INDEX spans_response ON spans (customer_id, response_id)
    WHERE response_id IS NOT NULL;
