-- Deduplicated spans of the extracted traces (the view `raw`), with the
-- llm_calls rule of migration 0003 applied: the first copy of (customer,
-- trace, span) wins; an LLM span is a call unless its parent is an LLM span,
-- or an earlier top-level LLM span carries the same response id.
--
-- The rule is decided on narrow columns, and 64-bit hashes of the keys first
-- pick the few rows that can matter (millions of string keys would cost
-- gigabytes); exact keys then decide among those. The wide rows are only
-- streamed past the result.
CREATE OR REPLACE TEMP TABLE losers AS
WITH twins AS (
    SELECT hash(customer_id, trace_id, span_id) AS h
    FROM raw GROUP BY h HAVING count(*) > 1
)
SELECT customer_id, trace_id, span_id, seq, ordinal
FROM raw
WHERE hash(customer_id, trace_id, span_id) IN (SELECT h FROM twins)
QUALIFY row_number() OVER (
    PARTITION BY customer_id, trace_id, span_id ORDER BY seq, ordinal) > 1;

CREATE OR REPLACE TEMP TABLE llm_hashes AS
SELECT hash(customer_id, trace_id, span_id) AS h,
       hash(customer_id, trace_id, parent_span_id) AS parent_h,
       CASE WHEN response_id IS NOT NULL
            THEN hash(customer_id, response_id) END AS response_h
FROM raw ANTI JOIN losers USING (customer_id, trace_id, span_id, seq, ordinal)
WHERE span_class = 'llm';

CREATE OR REPLACE TEMP TABLE not_calls AS
WITH shared AS (
    SELECT response_h FROM llm_hashes WHERE response_h IS NOT NULL
    GROUP BY response_h HAVING count(*) > 1
), llm AS (
    -- LLM spans that may have an LLM parent, be one, or share a response id.
    SELECT customer_id, trace_id, span_id, parent_span_id, response_id, seq, ordinal
    FROM raw ANTI JOIN losers USING (customer_id, trace_id, span_id, seq, ordinal)
    WHERE span_class = 'llm'
      AND (hash(customer_id, trace_id, parent_span_id)
               IN (SELECT h FROM llm_hashes)
           OR hash(customer_id, trace_id, span_id)
               IN (SELECT parent_h FROM llm_hashes)
           OR hash(customer_id, response_id) IN (SELECT response_h FROM shared))
), nested AS (
    SELECT c.customer_id, c.trace_id, c.span_id
    FROM llm c SEMI JOIN llm p
      ON p.customer_id = c.customer_id AND p.trace_id = c.trace_id
     AND p.span_id = c.parent_span_id
)
SELECT * FROM nested
UNION ALL
SELECT customer_id, trace_id, span_id
FROM llm ANTI JOIN nested USING (customer_id, trace_id, span_id)
WHERE response_id IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY customer_id, response_id ORDER BY seq, ordinal) > 1;

CREATE OR REPLACE TEMP VIEW fresh AS
SELECT r.*,
       r.span_class = 'llm' AND n.span_id IS NULL AS is_call,
       diff_lines(r.diff, '+') AS lines_added,
       diff_lines(r.diff, '-') AS lines_removed
FROM raw r
ANTI JOIN losers l
  ON l.customer_id = r.customer_id AND l.trace_id = r.trace_id
 AND l.span_id = r.span_id AND l.seq = r.seq AND l.ordinal = r.ordinal
LEFT JOIN not_calls n
  ON n.customer_id = r.customer_id AND n.trace_id = r.trace_id
 AND n.span_id = r.span_id;
