-- The deduplicated views every figure reads. The projections keep each row as
-- received; a row counts only when no earlier row (by log sequence, then
-- position in its payload) has the same identity:
--   span:        (customer_id, trace_id, span_id)
--   metric point: (customer_id, dedup_key) - a digest of the metric's name, type,
--                 unit, resource, scope, point attributes and interval
--   log record:  (customer_id, dedup_key) - a digest of the whole record
-- The first copy wins, so a retried export never changes a figure.

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
