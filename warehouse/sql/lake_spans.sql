-- Deduplicated spans of the extracted traces, with the llm_calls rule of
-- migration 0003 applied: the first copy of (customer, trace, span) wins; an
-- LLM span is a call unless its parent is an LLM span, or an earlier top-level
-- LLM span carries the same response id.
CREATE OR REPLACE TEMP TABLE fresh AS
WITH deduped AS (
    SELECT * FROM raw
    QUALIFY row_number() OVER (
        PARTITION BY customer_id, trace_id, span_id ORDER BY seq, ordinal) = 1
), llm_ids AS (
    SELECT customer_id, trace_id, span_id FROM deduped WHERE span_class = 'llm'
), flagged AS (
    SELECT d.*,
           d.span_class = 'llm' AND l.span_id IS NULL AS top_level
    FROM deduped d
    LEFT JOIN llm_ids l
      ON l.customer_id = d.customer_id AND l.trace_id = d.trace_id
     AND l.span_id = d.parent_span_id
)
SELECT * EXCLUDE (top_level),
       top_level AND (
           response_id IS NULL
           OR row_number() OVER (
               PARTITION BY customer_id, response_id, top_level
               ORDER BY seq, ordinal) = 1
       ) AS is_call,
       diff_lines(diff, '+') AS lines_added,
       diff_lines(diff, '-') AS lines_removed,
       start_time::DATE AS day
FROM flagged
ORDER BY day, customer_id, start_time;
