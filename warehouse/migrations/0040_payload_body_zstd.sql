-- Payload bodies are compressed by the server with zstd (level 1) before
-- they are appended. A 303 KiB protobuf request of the ingest benchmark
-- becomes about 35 KiB for 0.43 ms of CPU, where PostgreSQL's own choices
-- were pglz (about 5 ms per request) or, on builds without lz4 such as the
-- embedded one, no compression at all: 150 TOAST chunks per request.
-- body_compression says how `body` is stored: 'zstd', or NULL for the body
-- as it was received (small bodies, and every payload before this one).
ALTER TABLE payloads ADD COLUMN body_compression text
    CHECK (body_compression IS NULL OR body_compression = 'zstd');

-- Compressed already: PostgreSQL need not try again.
DO $$
DECLARE
    part regclass;
BEGIN
    ALTER TABLE payloads ALTER COLUMN body SET STORAGE EXTERNAL;
    FOR part IN
        SELECT inhrelid::regclass FROM pg_inherits
        WHERE inhparent = 'payloads'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN body SET STORAGE EXTERNAL',
                       part);
    END LOOP;
END
$$;
