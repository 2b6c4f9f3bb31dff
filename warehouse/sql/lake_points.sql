-- Deduplicated metric points or log records (the raw view names the table):
-- the first copy of (customer, dedup key) wins, as in migration 0003.
CREATE OR REPLACE TEMP TABLE fresh AS
SELECT *, time::DATE AS day
FROM raw
QUALIFY row_number() OVER (
    PARTITION BY customer_id, dedup_key ORDER BY seq, ordinal) = 1
ORDER BY day, customer_id, time;
