-- Deduplicated metric points or log records (the view `raw` names the table):
-- the first copy of (customer, dedup key) wins, as in migration 0003. Hashes
-- of the keys first pick the few keys seen twice (see lake_spans.sql).
CREATE OR REPLACE TEMP TABLE losers AS
WITH twins AS (
    SELECT hash(customer_id, dedup_key) AS h
    FROM raw GROUP BY h HAVING count(*) > 1
)
SELECT customer_id, dedup_key, seq, ordinal
FROM raw
WHERE hash(customer_id, dedup_key) IN (SELECT h FROM twins)
QUALIFY row_number() OVER (
    PARTITION BY customer_id, dedup_key ORDER BY seq, ordinal) > 1;

CREATE OR REPLACE TEMP VIEW fresh AS
SELECT r.*
FROM raw r
ANTI JOIN losers l
  ON l.customer_id = r.customer_id AND l.dedup_key = r.dedup_key
 AND l.seq = r.seq AND l.ordinal = r.ordinal;
