-- Identities present more than once in the rebuilt days of the lake.
SELECT 'spans', customer_id || '/' || trace_id || '/' || span_id, count(*)
FROM lake_spans WHERE day IN (SELECT day FROM dirty)
GROUP BY customer_id, trace_id, span_id HAVING count(*) > 1
UNION ALL
SELECT 'metric_points', customer_id || '/' || dedup_key, count(*)
FROM lake_metric_points WHERE day IN (SELECT day FROM dirty)
GROUP BY customer_id, dedup_key HAVING count(*) > 1
UNION ALL
SELECT 'log_records', customer_id || '/' || dedup_key, count(*)
FROM lake_log_records WHERE day IN (SELECT day FROM dirty)
GROUP BY customer_id, dedup_key HAVING count(*) > 1;
