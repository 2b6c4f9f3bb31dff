"""Types of the C reader in _otlp_traces.c."""

from ingest.records import Origin, SpanRecord

def read_traces(
    body: bytes | bytearray | memoryview,
    origin_type: type[Origin],
    span_type: type[SpanRecord],
) -> list[SpanRecord] | None: ...
