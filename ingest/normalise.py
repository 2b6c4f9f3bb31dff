"""The GenAI fields of one span, log record or data point, whatever the sender."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from ingest.numbers import INT64_MAX, parse_float, parse_uint64
from ingest.vendors import canonical_vendor, split_model

SpanClass = Literal["llm", "tool", "other"]
Attrs = Mapping[str, object]
_T = TypeVar("_T")

_PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
# The response model is the one that actually served the call (a dated snapshot,
# or whatever a router's "auto" model picked), so it wins over the request.
_MODEL_KEYS = (
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
    "model",
)
_OPERATION_KEYS = (
    "gen_ai.operation.name",
    "llm.request.type",
    "openinference.span.kind",
    "traceloop.span.kind",
)
# These counts already include cache reads and writes, as the GenAI convention asks.
_INPUT_KEYS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
    "input_token_count",
)
# Claude Code counts input the Anthropic API way, with cache reads and cache writes
# reported apart, so both are added back to match the convention above.
_CLAUDE_INPUT_KEY = "input_tokens"
_OUTPUT_KEYS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
    "output_tokens",
    "output_token_count",
)
_CACHE_READ_KEYS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
    "llm.token_count.prompt_details.cache_read",
    "cache_read_tokens",
    "cached_token_count",
)
_CACHE_CREATION_KEYS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.input_tokens.cache_write",
    "llm.token_count.prompt_details.cache_write",
    "cache_creation_tokens",
)
# OpenRouter's total_cost is what it actually charged, so it leads.
_COST_KEYS = (
    "gen_ai.usage.total_cost",
    "gen_ai.usage.cost",
    "llm.cost.total",
    "cost_usd",
)
_USER_KEYS = (
    "user.id",
    "enduser.id",
    "traceloop.association.properties.user_id",
    "user.account_uuid",
    "user.account_id",
)
_SESSION_KEYS = (
    "gen_ai.conversation.id",
    "session.id",
    "conversation.id",
    "traceloop.association.properties.session_id",
)
_TOOL_KEYS = ("gen_ai.tool.name", "tool.name", "tool_name")

_LLM_OPERATIONS = frozenset(
    {
        "chat",
        "text_completion",
        "completion",
        "generate_content",
        "embeddings",
        "embedding",
        "llm",
    }
)
_TOOL_OPERATIONS = frozenset({"execute_tool", "tool"})
# Agent, chain and workflow spans sum their children's usage: counting them as
# calls as well would bill every token twice.
_AGGREGATE_OPERATIONS = frozenset(
    {"invoke_agent", "create_agent", "agent", "chain", "workflow", "task"}
)
_LLM_EVENTS = frozenset(
    {
        "claude_code.llm_request",
        "claude_code.api_request",
        "api_request",
        "gemini_cli.api_response",
    }
)
# Codex sends an SSE event per stream message; only `response.completed` has counts.
_USAGE_EVENTS = frozenset({"codex.sse_event"})
_TOOL_EVENTS = frozenset(
    {
        "claude_code.tool",
        "claude_code.tool_result",
        "tool_result",
        "codex.tool_result",
        "gemini_cli.tool_call",
    }
)

_OPENROUTER_SERVICE = "openrouter"
_OPENROUTER_ROOT = "llm generation"
# These children repeat the root's usage (observed), which must be counted once.
_OPENROUTER_CHILD = re.compile(r"generation|provider attempt \d+")

_DIFF_KEY = "tool.output.diff"
_PAYLOAD_KEYS = (
    "gen_ai.tool.call.result",
    "gen_ai.tool.call.arguments",
    "tool_parameters",
    "tool.parameters",
    "output.value",
    "input.value",
    "arguments",
    "output",
)
_PATCH_FIELDS = ("patch", "diff")
_DIFF_MARKERS = ("--- ", "+++ ", "@@")
# Where a tool's diff may hide: each payload key, and a JSON object attribute
# flattened into dotted keys (`arguments.patch`).
_PAYLOAD_SEARCH = tuple(
    f"{key}{suffix}"
    for key in _PAYLOAD_KEYS
    for suffix in ("", *(f".{field}" for field in _PATCH_FIELDS))
)


@dataclass(frozen=True, slots=True)
class GenAIFields:
    """What Stereos needs from one record, in canonical names and units.

    Only "llm" records are model calls: usage on an "other" record (an agent's
    total, say) is informative and must not be added to the calls' usage.
    """

    span_class: SpanClass
    operation: str | None  # lowercased operation or span kind as sent
    vendor: str | None  # canonical, see ingest.vendors
    model: str | None  # without an OpenRouter-style "vendor/" prefix
    input_tokens: int | None  # includes cache reads and writes (GenAI convention)
    output_tokens: int | None
    cached_tokens: int | None  # cache reads
    cache_creation_tokens: int | None  # cache writes
    cost_usd: float | None
    cost_source: str | None  # "sent" when the sender reported the cost
    user_ref: str | None
    user_email: str | None
    session_id: str | None
    tool_name: str | None
    response_id: str | None  # gen_ai.response.id; OpenRouter's generation id
    diff: str | None  # unified diff text


@dataclass(frozen=True, slots=True)
class _Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cache_creation_tokens: int | None = None
    cost_usd: float | None = None

    @property
    def has_tokens(self) -> bool:
        counts = (
            self.input_tokens,
            self.output_tokens,
            self.cached_tokens,
            self.cache_creation_tokens,
        )
        return any(count is not None for count in counts)


def normalise(
    item: Attrs, scope: Attrs, resource: Attrs, *, name: str = ""
) -> GenAIFields:
    """Read every known vocabulary from item, then scope, then resource attributes.

    `name` is the span name or the log record's event name. OpenRouter Broadcast
    children of "LLM Generation" are "other" with no usage, as they repeat the
    root's. Never raises: a value of the wrong type or range leaves its field None.
    """
    layers = (item, scope, resource)
    event = name.strip() or _text(item.get("event.name")) or ""
    operation = _first(layers, _OPERATION_KEYS, _lower_text)
    raw_model = _first(layers, _MODEL_KEYS, _text)
    tool_name = _tool_name(layers, operation)
    usage = _read_usage(layers)
    span_class = _classify(operation, event, usage, raw_model, tool_name)
    if _lower_text(resource.get("service.name")) == _OPENROUTER_SERVICE:
        span_class, usage = _openrouter_view(event, span_class, usage)

    return GenAIFields(
        span_class=span_class,
        operation=operation,
        vendor=canonical_vendor(_first(layers, _PROVIDER_KEYS, _text), raw_model),
        model=split_model(raw_model)[1],
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_tokens=usage.cached_tokens,
        cache_creation_tokens=usage.cache_creation_tokens,
        cost_usd=usage.cost_usd,
        cost_source=None if usage.cost_usd is None else "sent",
        user_ref=_first(layers, _USER_KEYS, _ident),
        user_email=_first(layers, ("user.email",), _text),
        session_id=_first(layers, _SESSION_KEYS, _ident),
        tool_name=tool_name,
        response_id=_first(layers, ("gen_ai.response.id",), _ident),
        diff=extract_diff(*layers, payloads=span_class == "tool"),
    )


def extract_diff(*attrs: Attrs, payloads: bool = True) -> str | None:
    """The unified diff a record carries, searching the attribute sets in order.

    `tool.output.diff` is taken as sent. With `payloads`, the first set's tool
    arguments and results are searched as well (they describe one call, so they
    live on the item, never on its scope or resource): a string that is a
    unified diff, or a JSON object (or a flattened kvlist) whose "patch" or
    "diff" member is one.
    """
    # TODO: an edit tool's arguments with file_path, old_string and new_string are a
    # code change too; should we synthesise a unified diff from them?
    for layer in attrs:
        explicit = layer.get(_DIFF_KEY)
        if isinstance(explicit, str) and explicit.strip():
            return explicit
    if payloads and attrs:
        return _payload_diff(attrs[0])
    return None


def _find(
    layers: Sequence[Attrs], keys: Sequence[str], parse: Callable[[object], _T | None]
) -> tuple[str, _T] | None:
    for attrs in layers:
        if not attrs:
            continue
        for key in keys:
            raw = attrs.get(key)
            # Most keys are absent: skip the parse for them (a hot path at ingest).
            if raw is None:
                continue
            value = parse(raw)
            if value is not None:
                return key, value
    return None


def _first(
    layers: Sequence[Attrs], keys: Sequence[str], parse: Callable[[object], _T | None]
) -> _T | None:
    found = _find(layers, keys, parse)
    return None if found is None else found[1]


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _lower_text(value: object) -> str | None:
    text = _text(value)
    return None if text is None else text.lower()


def _ident(value: object) -> str | None:
    # Some SDKs send numeric user or session ids as ints; they are still ids.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _amount(value: object) -> float | None:
    try:
        number = parse_float(value)
    except OverflowError:
        return None
    if number is None or not math.isfinite(number) or number < 0:
        return None
    return number


def _count(value: object) -> int | None:
    count = parse_uint64(value)
    if count is not None:
        return count

    # A fraction of a token means the field is not a count; guessing would misprice.
    number = _amount(value)
    if number is None or not number.is_integer() or number > INT64_MAX:
        return None
    return int(number)


def _read_usage(layers: Sequence[Attrs]) -> _Usage:
    cached = _first(layers, _CACHE_READ_KEYS, _count)
    creation = _first(layers, _CACHE_CREATION_KEYS, _count)
    return _Usage(
        input_tokens=_input_tokens(layers, cached, creation),
        output_tokens=_first(layers, _OUTPUT_KEYS, _count),
        cached_tokens=cached,
        cache_creation_tokens=creation,
        cost_usd=_first(layers, _COST_KEYS, _amount),
    )


def _input_tokens(
    layers: Sequence[Attrs], cached: int | None, creation: int | None
) -> int | None:
    found = _find(layers, (*_INPUT_KEYS, _CLAUDE_INPUT_KEY), _count)
    if found is None:
        return None
    key, count = found
    if key != _CLAUDE_INPUT_KEY:
        return count
    return count + (cached or 0) + (creation or 0)


def _tool_name(layers: Sequence[Attrs], operation: str | None) -> str | None:
    name = _first(layers, _TOOL_KEYS, _text)
    if name is None and operation == "tool":
        # OpenLLMetry names a tool only through the entity name of its tool span.
        return _first(layers, ("traceloop.entity.name",), _text)
    return name


def _classify(
    operation: str | None,
    event: str,
    usage: _Usage,
    model: str | None,
    tool_name: str | None,
) -> SpanClass:
    if operation in _LLM_OPERATIONS:
        return "llm"
    if operation in _TOOL_OPERATIONS:
        return "tool"
    if operation in _AGGREGATE_OPERATIONS:
        return "other"

    if event in _LLM_EVENTS or (event in _USAGE_EVENTS and usage.has_tokens):
        return "llm"
    if event in _TOOL_EVENTS:
        return "tool"

    if model is not None and usage.has_tokens:
        return "llm"
    if tool_name is not None and not usage.has_tokens:
        return "tool"
    return "other"


def _openrouter_view(
    event: str, span_class: SpanClass, usage: _Usage
) -> tuple[SpanClass, _Usage]:
    label = event.lower()
    if label == _OPENROUTER_ROOT:
        return "llm", usage
    if _OPENROUTER_CHILD.fullmatch(label):
        return "other", _Usage()
    return span_class, usage


def _payload_diff(layer: Attrs) -> str | None:
    for key in _PAYLOAD_SEARCH:
        value = layer.get(key)
        if value is not None:
            diff = _diff_in(value)
            if diff is not None:
                return diff
    return None


def _diff_in(value: object) -> str | None:
    if isinstance(value, str):
        if _is_unified_diff(value):
            return value
        # Parse JSON only when it could name a patch: most arguments do not.
        if "patch" not in value and "diff" not in value:
            return None
        value = _json_object(value)
    if not isinstance(value, dict):
        return None

    for field in _PATCH_FIELDS:
        inner = value.get(field)
        if isinstance(inner, str) and _is_unified_diff(inner):
            return inner
    return None


def _json_object(text: str) -> object:
    if not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _is_unified_diff(text: str) -> bool:
    seen = {
        marker
        for line in text.splitlines()
        for marker in _DIFF_MARKERS
        if line.startswith(marker)
    }
    return len(seen) == len(_DIFF_MARKERS)
