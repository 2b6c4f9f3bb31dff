-- Identities present more than once in the rebuilt days of the lake. A
-- group by 64-bit hashes first finds the few candidates cheaply (millions of
-- string keys cost gigabytes); the exact keys then decide.
WITH span_twins AS (
    SELECT hash(customer_id, trace_id, span_id) AS h
    FROM lake_spans WHERE day IN (SELECT day FROM dirty)
    GROUP BY h HAVING count(*) > 1
), point_twins AS (
    SELECT hash(customer_id, dedup_key) AS h
    FROM lake_metric_points WHERE day IN (SELECT day FROM dirty)
    GROUP BY h HAVING count(*) > 1
), record_twins AS (
    SELECT hash(customer_id, dedup_key) AS h
    FROM lake_log_records WHERE day IN (SELECT day FROM dirty)
    GROUP BY h HAVING count(*) > 1
)
SELECT 'spans', customer_id || '/' || trace_id || '/' || span_id, count(*)
FROM lake_spans
WHERE day IN (SELECT day FROM dirty)
  AND hash(customer_id, trace_id, span_id) IN (SELECT h FROM span_twins)
GROUP BY customer_id, trace_id, span_id HAVING count(*) > 1
UNION ALL
SELECT 'metric_points', customer_id || '/' || dedup_key, count(*)
FROM lake_metric_points
WHERE day IN (SELECT day FROM dirty)
  AND hash(customer_id, dedup_key) IN (SELECT h FROM point_twins)
GROUP BY customer_id, dedup_key HAVING count(*) > 1
UNION ALL
SELECT 'log_records', customer_id || '/' || dedup_key, count(*)
FROM lake_log_records
WHERE day IN (SELECT day FROM dirty)
  AND hash(customer_id, dedup_key) IN (SELECT h FROM record_twins)
GROUP BY customer_id, dedup_key HAVING count(*) > 1;
