-- Indexes for the trace explorer and the diff drilldowns (warehouse/traces.py,
-- warehouse/span_changes.py). Reading one trace, and the first-copy check of
-- every read, already use spans_key (customer_id, trace_id, span_id, ...).
-- Every index here slows ingest a little, so there is one per kind of read.

-- Recent traces of a customer (admins, and managers' team scope): the scan
-- newest first by start time.
CREATE INDEX spans_recent ON spans (customer_id, start_time DESC);

-- Recent traces of one user: a user's own scope, and the user filter. Without
-- it a rare user's spans are found by reading past everyone else's.
CREATE INDEX spans_user_recent ON spans (customer_id, user_id, start_time DESC);

-- Code changes: only tool spans, or spans carrying a diff, are indexed. The
-- predicate is repeated word for word in warehouse/span_changes.py.
CREATE INDEX spans_changes ON spans (customer_id, start_time DESC)
    WHERE span_class = 'tool' OR diff IS NOT NULL;

-- Traces with an error: errors are rare, so the index is small and cheap to
-- keep, and the has_error filter does not read past every healthy span.
CREATE INDEX spans_errors ON spans (customer_id, start_time DESC)
    WHERE status_code = 2;
