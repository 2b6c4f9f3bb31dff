-- State of the rollup pipeline that follows the log into the lake and marts.
--
-- The follower's watermark is a transaction horizon, not a sequence number:
-- sequence numbers are handed out before commit, so they become visible out of
-- order and a gap below the newest one may still fill. Transaction ids say
-- when no gap can remain: once pg_snapshot_xmin(pg_current_snapshot()) has
-- passed a payload's txid, that transaction and every older one has ended.
-- A run reads the payloads whose txid lies in [horizon, xmin) and then moves
-- the horizon to xmin; each committed payload falls in exactly one window.

CREATE TABLE pipeline_watermarks (
    name text PRIMARY KEY,
    -- Every payload whose txid is below this has been read.
    txid_horizon xid8 NOT NULL DEFAULT '0',
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
