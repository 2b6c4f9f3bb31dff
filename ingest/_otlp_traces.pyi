"""Types of the C reader built from ingest/c_reader/."""

from ingest.records import Origin, SpanRecord

def read_traces(
    body: bytes | bytearray | memoryview,
    origin_type: type[Origin],
    span_type: type[SpanRecord],
) -> list[SpanRecord] | None: ...
