-- Cheaper ingest, measured in docs/benchmarks.md ("Ingest").
--
-- 1. Payload bodies (hundreds of KiB of protobuf per request) were compressed
--    with pglz on insert, which cost about 5 ms per 512-span request. They
--    are now compressed with lz4 where the server supports it, and otherwise
--    (the embedded PostgreSQL is built without lz4) stored uncompressed.
-- 2. Attributes, resources, events, links and bodies are json, not jsonb:
--    PostgreSQL then only checks the text on COPY instead of building jsonb,
--    about half of PostgreSQL's cost per span row. The few reads that look
--    inside (the code-change search, a metric point's type) use json's own
--    operators or cast the rows they read.
-- 3. spans_response goes: the pipeline finds spans sharing a response id in
--    the lake's directory now (warehouse/lake_directory.py), and the index
--    cost every LLM span an insert into a randomly ordered tree.
DO $$
DECLARE
    part regclass;
BEGIN
    BEGIN
        ALTER TABLE payloads ALTER COLUMN body SET COMPRESSION lz4;
        FOR part IN
            SELECT inhrelid::regclass FROM pg_inherits
            WHERE inhparent = 'payloads'::regclass
        LOOP
            EXECUTE format('ALTER TABLE %s ALTER COLUMN body SET COMPRESSION lz4',
                           part);
        END LOOP;
    EXCEPTION WHEN feature_not_supported THEN
        ALTER TABLE payloads ALTER COLUMN body SET STORAGE EXTERNAL;
    END;
END
$$;

DROP INDEX spans_response;

DROP VIEW llm_calls, llm_spans, spans_deduped, metric_points_deduped,
    log_records_deduped;

ALTER TABLE spans
    ALTER COLUMN attributes TYPE json,
    ALTER COLUMN resource TYPE json,
    ALTER COLUMN events TYPE json,
    ALTER COLUMN links TYPE json;
ALTER TABLE metric_points
    ALTER COLUMN distribution TYPE json,
    ALTER COLUMN attributes TYPE json,
    ALTER COLUMN resource TYPE json;
ALTER TABLE log_records
    ALTER COLUMN body TYPE json,
    ALTER COLUMN attributes TYPE json,
    ALTER COLUMN resource TYPE json;

-- The views of 0003_deduplicated_views.sql, as they were (they select s.*).
CREATE VIEW spans_deduped AS
SELECT s.*
FROM spans s
WHERE NOT EXISTS (
    SELECT 1 FROM spans e
    WHERE e.customer_id = s.customer_id
      AND e.trace_id = s.trace_id
      AND e.span_id = s.span_id
      AND (e.seq, e.ordinal) < (s.seq, s.ordinal)
);
COMMENT ON VIEW spans_deduped IS
    'Spans counted once per (customer, trace id, span id); the first copy wins.';

CREATE VIEW metric_points_deduped AS
SELECT m.*
FROM metric_points m
WHERE NOT EXISTS (
    SELECT 1 FROM metric_points e
    WHERE e.customer_id = m.customer_id
      AND e.dedup_key = m.dedup_key
      AND (e.seq, e.ordinal) < (m.seq, m.ordinal)
);
COMMENT ON VIEW metric_points_deduped IS
    'Metric data points counted once per stream and interval.';

CREATE VIEW log_records_deduped AS
SELECT r.*
FROM log_records r
WHERE NOT EXISTS (
    SELECT 1 FROM log_records e
    WHERE e.customer_id = r.customer_id
      AND e.dedup_key = r.dedup_key
      AND (e.seq, e.ordinal) < (r.seq, r.ordinal)
);
COMMENT ON VIEW log_records_deduped IS 'Log records counted once per content.';

-- One LLM call can be reported by several spans. A deduplicated LLM span is
-- not a call of its own when its parent is an LLM span (an instrumentation
-- wrapping a client library, OpenRouter's attempts under "LLM Generation"), or
-- when an earlier top-level LLM span carries the same gen_ai.response.id.
CREATE VIEW llm_spans AS
SELECT s.*,
       EXISTS (
           SELECT 1 FROM spans_deduped p
           WHERE p.customer_id = s.customer_id
             AND p.trace_id = s.trace_id
             AND p.span_id = s.parent_span_id
             AND p.span_class = 'llm'
       ) AS has_llm_parent
FROM spans_deduped s
WHERE s.span_class = 'llm';

CREATE VIEW llm_calls AS
SELECT c.*
FROM llm_spans c
WHERE NOT c.has_llm_parent
  AND NOT EXISTS (
      SELECT 1 FROM llm_spans o
      WHERE c.response_id IS NOT NULL
        AND o.customer_id = c.customer_id
        AND o.response_id = c.response_id
        AND NOT o.has_llm_parent
        AND (o.seq, o.ordinal) < (c.seq, c.ordinal)
  );
COMMENT ON VIEW llm_calls IS
    'Each LLM call once, with its usage, however many spans reported it.';
