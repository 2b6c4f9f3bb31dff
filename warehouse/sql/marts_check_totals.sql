-- Rows (what, day, customer, marts figure, expected figure) that disagree.
WITH lake AS (
    SELECT day, customer_id, count(*) AS spans,
           count(*) FILTER (WHERE is_call) AS span_calls
    FROM lake_spans WHERE day IN (SELECT day FROM dirty) GROUP BY ALL
), facts AS (
    SELECT day, customer_id,
           sum(spans) AS spans,
           sum(llm_calls) FILTER (WHERE signal = 'span') AS span_calls,
           sum(llm_calls) AS llm_calls,
           sum(input_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens,
           sum(cost_sent_usd + cost_computed_usd) AS cost
    FROM counted_usage WHERE day IN (SELECT day FROM dirty) GROUP BY ALL
), rollups AS (
    SELECT 'customer_daily' AS source, day, customer_id, spans, llm_calls,
           input_tokens, output_tokens, cost_usd AS cost
    FROM customer_daily
    UNION ALL
    SELECT 'daily_user_usage', day, customer_id, sum(spans), sum(llm_calls),
           sum(input_tokens), sum(output_tokens), sum(cost_usd)
    FROM daily_user_usage GROUP BY ALL
    UNION ALL
    SELECT 'daily_team_usage', day, customer_id, sum(spans), sum(llm_calls),
           sum(input_tokens), sum(output_tokens), sum(cost_usd)
    FROM daily_team_usage GROUP BY ALL
    UNION ALL
    SELECT 'daily_tool_usage', day, customer_id, sum(spans), sum(llm_calls),
           sum(input_tokens), sum(output_tokens), sum(cost_usd)
    FROM daily_tool_usage GROUP BY ALL
)
SELECT 'spans in facts vs lake', day, customer_id, f.spans, l.spans
FROM facts f FULL JOIN lake l USING (day, customer_id)
WHERE coalesce(f.spans, 0) <> coalesce(l.spans, 0)
UNION ALL
SELECT 'span llm calls in facts vs lake', day, customer_id, f.span_calls, l.span_calls
FROM facts f JOIN lake l USING (day, customer_id)
WHERE coalesce(f.span_calls, 0) <> l.span_calls
  -- Span calls lose only to no other signal: spans come first.
UNION ALL
SELECT r.source || ' ' || m.what, r.day, r.customer_id, m.got, m.want
FROM rollups r
JOIN facts f USING (day, customer_id),
LATERAL (VALUES
    ('spans', r.spans::DOUBLE, f.spans::DOUBLE),
    ('llm_calls', r.llm_calls::DOUBLE, f.llm_calls::DOUBLE),
    ('input_tokens', r.input_tokens::DOUBLE, f.input_tokens::DOUBLE),
    ('output_tokens', r.output_tokens::DOUBLE, f.output_tokens::DOUBLE),
    ('cost', r.cost, f.cost)
) AS m(what, got, want)
WHERE r.day IN (SELECT day FROM dirty)
  -- Sums of doubles in another order differ in the last bits.
  AND abs(coalesce(m.got, 0) - coalesce(m.want, 0))
      > 1e-9 * greatest(1, abs(coalesce(m.want, 0)))
ORDER BY 2, 3;
