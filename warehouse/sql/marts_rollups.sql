-- What counts: usage_facts with the figures of signals that lost the
-- precedence (see marts_facts.sql) zeroed. Facts built before lines_counted
-- existed count the lines of spans only, as they did then.
CREATE OR REPLACE VIEW counted_usage AS
SELECT day, customer_id, team_id, user_id, attributed, tool, vendor, model,
       session_id, signal, counted, price_version, first_seen_at, last_seen_at,
       spans,
       CASE WHEN counted THEN llm_calls ELSE 0 END AS llm_calls,
       CASE WHEN counted THEN tool_calls ELSE 0 END AS tool_calls,
       CASE WHEN counted OR signal = 'span' THEN errors ELSE 0 END AS errors,
       CASE WHEN counted THEN input_tokens ELSE 0 END AS input_tokens,
       CASE WHEN counted THEN output_tokens ELSE 0 END AS output_tokens,
       CASE WHEN counted THEN cached_tokens ELSE 0 END AS cached_tokens,
       CASE WHEN counted THEN cache_creation_tokens ELSE 0 END
           AS cache_creation_tokens,
       CASE WHEN counted THEN cost_sent_usd ELSE 0 END AS cost_sent_usd,
       CASE WHEN counted THEN cost_computed_usd ELSE 0 END AS cost_computed_usd,
       CASE WHEN counted THEN uncosted_calls ELSE 0 END AS uncosted_calls,
       CASE WHEN coalesce(lines_counted, signal = 'span') THEN lines_added ELSE 0 END
           AS lines_added,
       CASE WHEN coalesce(lines_counted, signal = 'span') THEN lines_removed ELSE 0
       END AS lines_removed
FROM usage_facts;

CREATE TABLE IF NOT EXISTS daily_user_usage AS
SELECT day, customer_id, user_id, {measures}
FROM counted_usage WHERE false GROUP BY ALL;
CREATE TABLE IF NOT EXISTS daily_team_usage AS
SELECT day, customer_id, team_id, {measures}
FROM counted_usage WHERE false GROUP BY ALL;
CREATE TABLE IF NOT EXISTS daily_tool_usage AS
SELECT day, customer_id, tool, vendor, model, {measures}
FROM counted_usage WHERE false GROUP BY ALL;
CREATE TABLE IF NOT EXISTS customer_daily AS
SELECT day, customer_id, {measures}, 0::BIGINT AS active_users
FROM counted_usage WHERE false GROUP BY ALL;

DELETE FROM daily_user_usage WHERE day IN (SELECT day FROM dirty);
INSERT INTO daily_user_usage BY NAME
SELECT day, customer_id, user_id, {measures}
FROM counted_usage WHERE day IN (SELECT day FROM dirty) GROUP BY ALL;

DELETE FROM daily_team_usage WHERE day IN (SELECT day FROM dirty);
INSERT INTO daily_team_usage BY NAME
SELECT day, customer_id, team_id, {measures}
FROM counted_usage WHERE day IN (SELECT day FROM dirty) GROUP BY ALL;

DELETE FROM daily_tool_usage WHERE day IN (SELECT day FROM dirty);
INSERT INTO daily_tool_usage BY NAME
SELECT day, customer_id, tool, vendor, model, {measures}
FROM counted_usage WHERE day IN (SELECT day FROM dirty) GROUP BY ALL;

DELETE FROM customer_daily WHERE day IN (SELECT day FROM dirty);
INSERT INTO customer_daily BY NAME
SELECT day, customer_id, {measures}, count(DISTINCT user_id)::BIGINT AS active_users
FROM counted_usage WHERE day IN (SELECT day FROM dirty) GROUP BY ALL;

CREATE OR REPLACE TABLE billable_usage AS
SELECT customer_id, day,
       spans AS spans_ingested, llm_calls, input_tokens, output_tokens,
       cached_tokens, cache_creation_tokens, cost_sent_usd, cost_computed_usd,
       cost_usd, uncosted_calls, price_version
FROM customer_daily
ORDER BY customer_id, day;
