-- usage_facts for the days in the temp table `dirty`, from the lake views.
--
-- One unit of usage counts once even when a sender reports it through several
-- signals (Claude Code: an api_request log event, the token and cost metrics,
-- and in beta a span). Per (customer, day, tool, session) the signal that
-- counts is the first present of: spans, then log records, then metrics
-- ("present" = an LLM or tool row, or a token/cost point). Rows of the other
-- signals stay in usage_facts with counted = false, so analysts see every
-- figure. Span counts and span errors always come from spans. Lines of code
-- have a precedence of their own (lines_counted): the first signal of the
-- session and day that reports any, in the same order: spans' diffs, log
-- events' diff stats (Gemini CLI `file_operation`), Claude Code's
-- `lines_of_code.count` metric.
CREATE OR REPLACE TEMP MACRO tiered(base, tiers, n) AS
    coalesce(list_last(list_filter(tiers, lambda t: n > t.start)).price, base);

-- The precedence of a signal: the lowest present wins.
CREATE OR REPLACE TEMP MACRO signal_rank(signal) AS
    CASE signal WHEN 'span' THEN 1 WHEN 'log' THEN 2 ELSE 3 END;

-- Lines the agent changed per a log record's diff_stat (a JSON string, or a
-- kvlist flattened to dotted keys); the user's own edits are not counted.
CREATE OR REPLACE TEMP MACRO stat_lines(attrs, name) AS
    CASE WHEN NOT contains(attrs, 'diff_stat') THEN 0 ELSE greatest(coalesce(
        TRY_CAST(CASE WHEN json_valid(attrs->>'diff_stat')
                      THEN json_extract_string(attrs->>'diff_stat', '$.' || name)
                 END AS BIGINT),
        TRY_CAST(attrs->>('diff_stat.' || name) AS BIGINT), 0), 0)
    END;

-- The rows are materialised once; priced_rows is a view over them, since a
-- second copy of millions of wide rows cost more than pricing them twice.
-- (Reading the lake straight into the final aggregate ran out of memory.)
CREATE OR REPLACE TEMP TABLE signal_rows AS
SELECT day, customer_id, team_id, user_id, attributed,
       coalesce(service_name, 'unknown') AS tool, vendor, model, session_id,
       'span' AS signal, start_time AS at,
       1 AS spans,
       is_call::INTEGER AS llm_calls,
       (span_class = 'tool')::INTEGER AS tool_calls,
       (status_code = 2)::INTEGER AS errors,
       CASE WHEN is_call THEN input_tokens END AS input_tokens,
       CASE WHEN is_call THEN output_tokens END AS output_tokens,
       CASE WHEN is_call THEN cached_tokens END AS cached_tokens,
       CASE WHEN is_call THEN cache_creation_tokens END AS cache_creation_tokens,
       CASE WHEN is_call AND cost_source = 'sent' THEN cost_usd END AS cost_sent_usd,
       is_call AND cost_source IS DISTINCT FROM 'sent' AS needs_price,
       lines_added, lines_removed,
       span_class IN ('llm', 'tool') AS has_usage
FROM lake_spans WHERE day IN (SELECT day FROM dirty)
UNION ALL BY NAME
SELECT day, customer_id, team_id, user_id, attributed,
       coalesce(service_name, 'unknown') AS tool, vendor, model, session_id,
       'log' AS signal, time AS at,
       0 AS spans,
       (record_class = 'llm')::INTEGER AS llm_calls,
       (record_class = 'tool')::INTEGER AS tool_calls,
       (coalesce(event_name LIKE '%api_error', false)
        OR coalesce(severity_number >= 17, false))::INTEGER AS errors,
       CASE WHEN record_class = 'llm' THEN input_tokens END AS input_tokens,
       CASE WHEN record_class = 'llm' THEN output_tokens END AS output_tokens,
       CASE WHEN record_class = 'llm' THEN cached_tokens END AS cached_tokens,
       CASE WHEN record_class = 'llm' THEN cache_creation_tokens END
           AS cache_creation_tokens,
       CASE WHEN record_class = 'llm' AND cost_source = 'sent' THEN cost_usd END
           AS cost_sent_usd,
       record_class = 'llm' AND cost_source IS DISTINCT FROM 'sent' AS needs_price,
       stat_lines(attributes, 'ai_added_lines') AS lines_added,
       stat_lines(attributes, 'ai_removed_lines') AS lines_removed,
       record_class IN ('llm', 'tool') AS has_usage
FROM lake_log_records WHERE day IN (SELECT day FROM dirty)
UNION ALL BY NAME
-- Claude Code's usage and lines-of-code metrics (delta sums). Its "input"
-- excludes cache reads and writes; Stereos' input_tokens includes them, so
-- all three add up.
-- TODO: cumulative points (temporality 2) would need differencing; no sender
-- we know reports usage that way, so they are left out.
SELECT day, customer_id, team_id, user_id, attributed,
       coalesce(service_name, 'unknown') AS tool, vendor, model, session_id,
       'metric' AS signal, time AS at,
       0 AS spans, 0 AS llm_calls, 0 AS tool_calls, 0 AS errors,
       CASE WHEN metric_name = 'claude_code.token.usage'
             AND point_type IN ('input', 'cacheRead', 'cacheCreation')
            THEN amount::BIGINT END AS input_tokens,
       CASE WHEN metric_name = 'claude_code.token.usage' AND point_type = 'output'
            THEN amount::BIGINT END AS output_tokens,
       CASE WHEN metric_name = 'claude_code.token.usage' AND point_type = 'cacheRead'
            THEN amount::BIGINT END AS cached_tokens,
       CASE WHEN metric_name = 'claude_code.token.usage'
             AND point_type = 'cacheCreation'
            THEN amount::BIGINT END AS cache_creation_tokens,
       CASE WHEN metric_name = 'claude_code.cost.usage' THEN amount END
           AS cost_sent_usd,
       false AS needs_price,
       CASE WHEN metric_name = 'claude_code.lines_of_code.count'
             AND point_type = 'added'
            THEN greatest(amount::BIGINT, 0) ELSE 0 END AS lines_added,
       CASE WHEN metric_name = 'claude_code.lines_of_code.count'
             AND point_type = 'removed'
            THEN greatest(amount::BIGINT, 0) ELSE 0 END AS lines_removed,
       metric_name <> 'claude_code.lines_of_code.count' AS has_usage
FROM (
    SELECT *, coalesce(value, int_value::DOUBLE, sum) AS amount
    FROM lake_metric_points
    WHERE day IN (SELECT day FROM dirty)
      AND metric_name IN ('claude_code.token.usage', 'claude_code.cost.usage',
                          'claude_code.lines_of_code.count')
      AND coalesce(temporality, 1) = 1
);

-- Computed cost with the rate cards in `prices` (see warehouse/pricing.py).
CREATE OR REPLACE TEMP VIEW priced_rows AS
SELECT r.*,
       CASE WHEN r.needs_price AND p.input_mtok IS NOT NULL
             AND (r.input_tokens IS NOT NULL OR r.output_tokens IS NOT NULL)
       THEN (
           greatest(
               coalesce(r.input_tokens, 0)
               - CASE WHEN p.cache_read_mtok IS NULL THEN 0
                      ELSE coalesce(r.cached_tokens, 0) END
               - CASE WHEN p.cache_write_mtok IS NULL THEN 0
                      ELSE coalesce(r.cache_creation_tokens, 0) END,
               0) * tiered(p.input_mtok, p.input_tiers, coalesce(r.input_tokens, 0))
           + coalesce(r.cached_tokens, 0) * coalesce(tiered(
               p.cache_read_mtok, p.cache_read_tiers, coalesce(r.input_tokens, 0)), 0)
           + coalesce(r.cache_creation_tokens, 0) * coalesce(tiered(
               p.cache_write_mtok, p.cache_write_tiers, coalesce(r.input_tokens, 0)),
               0)
           + coalesce(r.output_tokens, 0) * coalesce(tiered(
               p.output_mtok, p.output_tiers, coalesce(r.input_tokens, 0)), 0)
       ) / 1e6 END AS cost_computed_usd,
       p.price_version
FROM signal_rows r
LEFT JOIN prices p
  ON p.day = r.day AND p.model = r.model AND p.vendor IS NOT DISTINCT FROM r.vendor;

CREATE OR REPLACE TEMP TABLE choice AS
SELECT customer_id, day, tool, session_id,
       min(signal_rank(signal)) FILTER (WHERE has_usage) AS chosen,
       min(signal_rank(signal)) FILTER (WHERE lines_added + lines_removed > 0)
           AS lines_from
FROM signal_rows
GROUP BY customer_id, day, tool, session_id;

DELETE FROM usage_facts WHERE day IN (SELECT day FROM dirty);

INSERT INTO usage_facts BY NAME
SELECT r.day, r.customer_id, r.team_id, r.user_id, r.attributed, r.tool, r.vendor,
       r.model, r.session_id, r.signal,
       coalesce(signal_rank(r.signal) = c.chosen, false) AS counted,
       coalesce(signal_rank(r.signal) = c.lines_from, false) AS lines_counted,
       sum(r.spans) AS spans,
       sum(r.llm_calls) AS llm_calls,
       sum(r.tool_calls) AS tool_calls,
       sum(r.errors) AS errors,
       coalesce(sum(r.input_tokens), 0) AS input_tokens,
       coalesce(sum(r.output_tokens), 0) AS output_tokens,
       coalesce(sum(r.cached_tokens), 0) AS cached_tokens,
       coalesce(sum(r.cache_creation_tokens), 0) AS cache_creation_tokens,
       coalesce(sum(r.cost_sent_usd), 0) AS cost_sent_usd,
       coalesce(sum(r.cost_computed_usd), 0) AS cost_computed_usd,
       count(*) FILTER (WHERE r.needs_price AND r.cost_computed_usd IS NULL)
           AS uncosted_calls,
       sum(r.lines_added) AS lines_added,
       sum(r.lines_removed) AS lines_removed,
       max(r.price_version) AS price_version,
       min(r.at) AS first_seen_at,
       max(r.at) AS last_seen_at
FROM priced_rows r
LEFT JOIN choice c
  ON c.customer_id = r.customer_id AND c.day = r.day AND c.tool = r.tool
 AND c.session_id IS NOT DISTINCT FROM r.session_id
GROUP BY ALL;
