"""The real OTel Python SDK exporting to a live Stereos over loopback."""

from __future__ import annotations

import psycopg
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    InMemoryMetricReader,
    MetricExportResult,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.factories import make_tenant
from tests.fix_server import LiveServer

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1 +1,2 @@\n-print(1)\n+print(2)\n+print(3)\n"


def _tracer_provider(
    live: LiveServer, token: str, compression: Compression
) -> TracerProvider:
    exporter = OTLPSpanExporter(
        endpoint=f"{live.url}/v1/traces",
        headers={"Authorization": f"Bearer {token}"},
        compression=compression,
    )
    resource = Resource.create({"service.name": "agent", "user.id": "someone"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_sdk_spans_arrive_as_rows(
    live: LiveServer, db: psycopg.Connection, compression: Compression
) -> None:
    tenant = make_tenant(db)
    provider = _tracer_provider(live, tenant.token, compression)
    tracer = provider.get_tracer("test-agent")

    with tracer.start_as_current_span("invoke_agent") as root:
        root.set_attribute("user.id", tenant.email)
        with tracer.start_as_current_span("chat claude-sonnet-4") as llm:
            llm.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "anthropic",
                    "gen_ai.request.model": "claude-sonnet-4",
                    "gen_ai.usage.input_tokens": 1200,
                    "gen_ai.usage.output_tokens": 300,
                    "user.id": tenant.email,
                }
            )
        with tracer.start_as_current_span("execute_tool Edit") as tool:
            tool.set_attributes(
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "Edit",
                    "tool.output.diff": DIFF,
                    "user.id": tenant.email,
                }
            )
    provider.shutdown()

    rows = db.execute(
        "SELECT name, span_class, vendor, model, input_tokens, output_tokens,"
        " tool_name, diff, user_id, team_id, customer_id, parent_span_id,"
        " attributes->>'service.name', resource->>'service.name'"
        " FROM spans ORDER BY start_unix_nano"
    ).fetchall()
    assert [r[0] for r in rows] == [
        "invoke_agent",
        "chat claude-sonnet-4",
        "execute_tool Edit",
    ]
    root_row, llm_row, tool_row = rows
    assert llm_row[1:6] == ("llm", "anthropic", "claude-sonnet-4", 1200, 300)
    assert tool_row[1] == "tool" and tool_row[6] == "Edit" and tool_row[7] == DIFF
    for row in rows:
        assert row[8] == tenant.user_id
        assert row[9] == tenant.team_id
        assert row[10] == tenant.customer_id
        assert row[13] == "agent"
    assert root_row[11] is None
    assert llm_row[11] is not None and llm_row[11] == tool_row[11]

    payloads = db.execute(
        "SELECT signal, content_type, credential_kind, count(*) FROM payloads"
        " GROUP BY 1, 2, 3"
    ).fetchall()
    assert payloads == [("traces", "application/x-protobuf", "token", 3)]


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_sdk_metrics_arrive_as_points(
    live: LiveServer, db: psycopg.Connection, compression: Compression
) -> None:
    tenant = make_tenant(db)
    reader = InMemoryMetricReader(
        preferred_temporality={Counter: AggregationTemporality.DELTA}
    )
    provider = MeterProvider(
        resource=Resource.create({"service.name": "claude-code"}),
        metric_readers=[reader],
    )
    counter = provider.get_meter("com.anthropic.claude_code").create_counter(
        "claude_code.token.usage", unit="tokens"
    )
    counter.add(1200, {"type": "input", "model": "claude-sonnet-4"})
    counter.add(300, {"type": "output", "model": "claude-sonnet-4"})
    data = reader.get_metrics_data()
    exporter = OTLPMetricExporter(
        endpoint=f"{live.url}/v1/metrics",
        headers={"Authorization": f"Bearer {tenant.token}"},
        compression=compression,
    )

    assert exporter.export(data) is MetricExportResult.SUCCESS
    exporter.shutdown()
    provider.shutdown()

    points = db.execute(
        "SELECT metric_name, metric_type, temporality, is_monotonic, value,"
        " attributes->>'type', model, team_id FROM metric_points ORDER BY value"
    ).fetchall()
    assert points == [
        ("claude_code.token.usage", "sum", 1, True, 300.0, "output",
         "claude-sonnet-4", tenant.team_id),
        ("claude_code.token.usage", "sum", 1, True, 1200.0, "input",
         "claude-sonnet-4", tenant.team_id),
    ]  # fmt: skip
