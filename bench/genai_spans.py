"""Realistic GenAI span batches for the ingest benchmark, as OTLP protobuf.

Agent turns: an `invoke_agent` span, LLM `chat` calls with `gen_ai.*` usage,
tool calls (some carrying a `tool.output.diff`) and HTTP client spans, by many
users. A template is one request; `render` stamps fresh ids into it cheaply.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

NANOS = 1_000_000_000

# (provider, request model, response model, server address)
MODELS = (
    ("openai", "gpt-4.1", "gpt-4.1-2025-04-14", "api.openai.com"),
    ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "api.openai.com"),
    (
        "anthropic",
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "api.anthropic.com",
    ),
    ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", "api.anthropic.com"),
    (
        "gcp.gemini",
        "gemini-2.5-flash",
        "gemini-2.5-flash",
        "generativelanguage.googleapis.com",
    ),
)
TOOLS = ("read_file", "edit_file", "run_shell", "search_code", "web_search", "list_dir")
SERVICES = ("support-assistant", "code-review-agent", "docs-search", "sales-copilot")
AGENTS = ("triage", "reviewer", "researcher", "planner")
FINISH = ("stop", "tool_calls", "length")


@dataclass(frozen=True, slots=True)
class Template:
    """A serialised request and where each of its ids starts.

    Every trace and span id begins with four bytes that `render` overwrites
    with the batch number, so each request carries ids never sent before.
    """

    body: bytes
    offsets: tuple[int, ...]
    spans: int
    attributes: int


def render(template: Template, batch_no: int) -> bytearray:
    """The template's body with every id prefixed by `batch_no`."""
    body = bytearray(template.body)
    prefix = batch_no.to_bytes(4, "big")
    for offset in template.offsets:
        body[offset : offset + 4] = prefix
    return body


def _value(value: object) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list | tuple):
        return AnyValue(array_value=ArrayValue(values=[_value(v) for v in value]))
    return AnyValue(string_value=str(value))


def _attrs(pairs: dict[str, object]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in pairs.items()]


@dataclass(slots=True)
class _Trace:
    """The shared facts of one agent turn and the ids minted for it."""

    rng: random.Random
    trace_id: bytes
    user: str | None
    session: str
    start_ns: int
    span_ids: set[bytes] = field(default_factory=set)

    def new_span_id(self) -> bytes:
        while True:
            span_id = self.rng.randbytes(8)
            if span_id[4:] != b"\0\0\0\0" and span_id not in self.span_ids:
                self.span_ids.add(span_id)
                return span_id

    def common(self) -> dict[str, object]:
        found: dict[str, object] = {"gen_ai.conversation.id": self.session}
        if self.user is not None:
            found["user.id"] = self.user
        return found


def _span(
    trace: _Trace,
    name: str,
    kind: Span.SpanKind.ValueType,
    parent: bytes,
    offset_ms: int,
    attrs: dict[str, object],
) -> Span:
    duration_ms = trace.rng.randint(40, 4000)
    start = trace.start_ns + offset_ms * 1_000_000
    return Span(
        trace_id=trace.trace_id,
        span_id=trace.new_span_id(),
        parent_span_id=parent,
        name=name,
        kind=kind,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration_ms * 1_000_000,
        attributes=_attrs(attrs),
        status=Status(code=Status.STATUS_CODE_OK),
    )


def _agent_span(trace: _Trace) -> Span:
    rng = trace.rng
    provider, model, _, _ = rng.choice(MODELS)
    agent = rng.choice(AGENTS)
    attrs = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
        "gen_ai.agent.id": f"agent_{agent}_{rng.randint(1, 9)}",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": rng.randint(5_000, 90_000),
        "gen_ai.usage.output_tokens": rng.randint(200, 6_000),
        "app.request.id": uuid.UUID(int=rng.getrandbits(128)).hex,
        "app.tenant.plan": rng.choice(("team", "enterprise")),
        **trace.common(),
    }
    return _span(trace, f"invoke_agent {agent}", Span.SPAN_KIND_INTERNAL, b"", 0, attrs)


def _llm_span(trace: _Trace, parent: bytes, offset_ms: int) -> Span:
    rng = trace.rng
    provider, model, served, host = rng.choice(MODELS)
    inputs = rng.randint(800, 40_000)
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.response.model": served,
        "gen_ai.request.max_tokens": rng.choice((1024, 4096, 8192)),
        "gen_ai.request.temperature": rng.choice((0.0, 0.2, 0.7, 1.0)),
        "gen_ai.request.top_p": 1.0,
        "gen_ai.response.id": f"resp_{rng.getrandbits(96):024x}",
        "gen_ai.response.finish_reasons": [rng.choice(FINISH)],
        "gen_ai.usage.input_tokens": inputs,
        "gen_ai.usage.output_tokens": rng.randint(20, 3_000),
        "gen_ai.usage.cache_read.input_tokens": rng.randint(0, inputs // 2),
        "gen_ai.usage.cache_creation.input_tokens": rng.choice((0, 0, 0, 1024)),
        "server.address": host,
        "server.port": 443,
        **trace.common(),
    }
    name = f"chat {model}"
    return _span(trace, name, Span.SPAN_KIND_CLIENT, parent, offset_ms, attrs)


def _diff(rng: random.Random) -> str:
    path = f"src/{rng.choice(('api', 'core', 'jobs'))}/module_{rng.randint(1, 80)}.py"
    hunks = []
    for _ in range(rng.randint(1, 4)):
        line = rng.randint(1, 400)
        hunks.append(
            f"@@ -{line},4 +{line},5 @@\n def handler(request):\n"
            "-    value = compute(request)\n"
            "+    value = compute(request, retry=True)\n"
            f"+    logger.debug('computed %s', value)\n     return value\n"
        )
    return f"--- a/{path}\n+++ b/{path}\n" + "".join(hunks)


def _tool_span(trace: _Trace, parent: bytes, offset_ms: int) -> Span:
    rng = trace.rng
    tool = rng.choice(TOOLS)
    args = {"path": f"src/module_{rng.randint(1, 80)}.py", "limit": rng.randint(1, 200)}
    attrs: dict[str, object] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "gen_ai.tool.call.id": f"call_{rng.getrandbits(64):016x}",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.arguments": json.dumps(args),
        "code.function.name": f"tools.{tool}",
        **trace.common(),
    }
    if tool == "edit_file":
        attrs["tool.output.diff"] = _diff(rng)
    name = f"execute_tool {tool}"
    return _span(trace, name, Span.SPAN_KIND_INTERNAL, parent, offset_ms, attrs)


def _http_span(trace: _Trace, parent: bytes, offset_ms: int) -> Span:
    rng = trace.rng
    attrs = {
        "http.request.method": "GET",
        "url.full": "https://search.internal/api/v2/query?q=topic"
        f"{rng.randint(1, 999)}",
        "http.response.status_code": 200,
        "server.address": "search.internal",
        "network.protocol.version": "1.1",
        **trace.common(),
    }
    return _span(trace, "GET", Span.SPAN_KIND_CLIENT, parent, offset_ms, attrs)


def _trace_spans(trace: _Trace) -> list[Span]:
    """An agent turn: the agent span, then model calls, tool calls, a fetch."""
    root = _agent_span(trace)
    spans = [root]
    offset = 50
    for _ in range(trace.rng.randint(2, 5)):
        spans.append(_llm_span(trace, root.span_id, offset))
        offset += 900
        for _ in range(trace.rng.randint(0, 2)):
            spans.append(_tool_span(trace, root.span_id, offset))
            offset += 300
    if trace.rng.random() < 0.5:
        spans.append(_http_span(trace, root.span_id, offset))
    return spans


def _resource(rng: random.Random, service: str) -> list[KeyValue]:
    return _attrs(
        {
            "service.name": service,
            "service.version": f"1.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            "service.instance.id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "deployment.environment.name": "production",
            "host.name": f"ip-10-0-{rng.randint(0, 255)}-{rng.randint(0, 255)}",
            "os.type": "linux",
            "process.runtime.name": "cpython",
            "process.runtime.version": "3.12.7",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.language": "python",
            "telemetry.sdk.version": "1.45.2",
        }
    )


def _user(rng: random.Random, emails: Sequence[str]) -> str | None:
    roll = rng.random()
    if roll < 0.8:
        return rng.choice(emails)
    if roll < 0.92:
        return f"contractor{rng.randint(1, 500)}@example.org"  # not a Stereos user
    return None  # the token's maker


def build_template(
    rng: random.Random, emails: Sequence[str], service: str, size: int
) -> Template:
    """A request of exactly `size` spans of agent turns by many users."""
    request = ExportTraceServiceRequest()
    block = request.resource_spans.add()
    block.resource.attributes.extend(_resource(rng, service))
    scope = block.scope_spans.add()
    scope.scope.name = "opentelemetry.instrumentation.genai"
    scope.scope.version = "0.3b0"
    ids: list[bytes] = []
    now = time.time_ns() - 3600 * NANOS
    while len(scope.spans) < size:
        trace = _Trace(
            rng,
            trace_id=rng.randbytes(16),
            user=_user(rng, emails),
            session=f"sess_{rng.randint(1, 5_000):06d}",
            start_ns=now + rng.randint(0, 3000) * 1_000_000,
        )
        spans = _trace_spans(trace)[: size - len(scope.spans)]
        scope.spans.extend(spans)
        ids.append(trace.trace_id)
        ids.extend(span.span_id for span in spans)
    body = request.SerializeToString()
    expected = sum(3 if s.parent_span_id else 2 for s in scope.spans)
    offsets = tuple(sorted(o for i in set(ids) for o in _occurrences(body, i)))
    if len(offsets) != expected:  # an id's bytes also occur elsewhere: retry
        return build_template(rng, emails, service, size)
    count = sum(len(s.attributes) for s in scope.spans)
    return Template(body, offsets, size, count)


def _occurrences(body: bytes, needle: bytes) -> Iterator[int]:
    at = body.find(needle)
    while at >= 0:
        yield at
        at = body.find(needle, at + 1)


# --- Load clients ----------------------------------------------------------
