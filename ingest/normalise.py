"""The GenAI fields of one span, log record or data point, whatever the sender."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from ingest.numbers import INT64_MAX, parse_float, parse_uint64
from ingest.vendors import canonical_vendor, split_model

SpanClass = Literal["llm", "tool", "other"]
Attrs = Mapping[str, object]
# A field's value in one attribute set, with the rank of the key it came from.
_Hit = tuple[int, Any]
_NO_HIT: _Hit = (-1, None)
_NO_TOKENS = (None, None, None, None)

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
_HUNK = "@@"
_DIFF_MARKERS = ("--- ", "+++ ", _HUNK)
# Where a tool's diff may hide: each payload key, and a JSON object attribute
# flattened into dotted keys (`arguments.patch`).
_PAYLOAD_SEARCH = tuple(
    f"{key}{suffix}"
    for key in _PAYLOAD_KEYS
    for suffix in ("", *(f".{field}" for field in _PATCH_FIELDS))
)
_PAYLOAD_RANK = {key: rank for rank, key in enumerate(_PAYLOAD_SEARCH)}


class GenAIFields(NamedTuple):
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
class OriginView:
    """What a scope and resource say, read once for every item under them."""

    hits: dict[str, _Hit]  # each field's value on the scope, else on the resource
    openrouter: bool  # the resource is OpenRouter Broadcast
    diff: str | None  # a `tool.output.diff` on the scope, else on the resource


def read_origin(scope: Attrs, resource: Attrs) -> OriginView:
    """The part of normalise() that depends only on the scope and resource."""
    return OriginView(
        hits=_hits(resource) | _hits(scope),
        openrouter=_lower_text(resource.get("service.name")) == _OPENROUTER_SERVICE,
        diff=extract_diff(scope, resource, payloads=False),
    )


def normalise(
    item: Attrs, scope: Attrs, resource: Attrs, *, name: str = ""
) -> GenAIFields:
    """Read every known vocabulary from item, then scope, then resource attributes.

    `name` is the span name or the log record's event name. OpenRouter Broadcast
    children of "LLM Generation" are "other" with no usage, as they repeat the
    root's. Never raises: a value of the wrong type or range leaves its field None.
    """
    return normalise_item(item, read_origin(scope, resource), name=name)


def normalise_item(item: Attrs, origin: OriginView, *, name: str = "") -> GenAIFields:
    """normalise() for an item whose scope and resource read_origin() has read."""
    found = origin.hits | _hits(item)
    operation = found.get("operation", _NO_HIT)[1]
    raw_model = found.get("model", _NO_HIT)[1]
    tool_name = found.get("tool", _NO_HIT)[1]
    if tool_name is None and operation == "tool":
        # OpenLLMetry names a tool only through the entity name of its tool span.
        tool_name = found.get("entity", _NO_HIT)[1]
    cached = found.get("cached", _NO_HIT)[1]
    creation = found.get("creation", _NO_HIT)[1]
    tokens = (
        _input_tokens(found.get("input"), cached, creation),
        found.get("output", _NO_HIT)[1],
        cached,
        creation,
    )
    cost = found.get("cost", _NO_HIT)[1]
    has_tokens = tokens != _NO_TOKENS
    event = name.strip() or _text(item.get("event.name")) or ""
    span_class = _classify(operation, event, has_tokens, raw_model, tool_name)
    if origin.openrouter:
        span_class, repeated = _openrouter_view(event, span_class)
        if repeated:
            tokens, cost = _NO_TOKENS, None
    vendor, model = _vendor_and_model(found.get("provider", _NO_HIT)[1], raw_model)

    return GenAIFields(
        span_class, operation, vendor, model, *tokens, cost,
        None if cost is None else "sent",
        found.get("user", _NO_HIT)[1], found.get("email", _NO_HIT)[1],
        found.get("session", _NO_HIT)[1], tool_name,
        found.get("response_id", _NO_HIT)[1],
        _explicit_diff(item) or origin.diff
        or (_payload_diff(item) if span_class == "tool" else None),
    )  # fmt: skip


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
        explicit = _explicit_diff(layer)
        if explicit is not None:
            return explicit
    if payloads and attrs:
        return _payload_diff(attrs[0])
    return None


def _explicit_diff(layer: Attrs) -> str | None:
    explicit = layer.get(_DIFF_KEY)
    if isinstance(explicit, str) and explicit.strip():
        return explicit
    return None


def _hits(attrs: Attrs) -> dict[str, _Hit]:
    """Each field's value in one attribute set: from its first key that parses."""
    hits: dict[str, _Hit] = {}
    # Only the vocabulary keys present are visited: a set intersection walks the
    # smaller side, so neither a large attribute set nor the index costs much.
    for key in attrs.keys() & _KEY_INDEX.keys():
        raw = attrs[key]
        if raw is None:  # what an empty AnyValue decodes to: nothing to parse
            continue
        field, rank, parse = _KEY_INDEX[key]
        value = parse(raw)
        if value is not None and (field not in hits or rank < hits[field][0]):
            hits[field] = (rank, value)
    return hits


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    return None


def _lower_text(value: object) -> str | None:
    text = _text(value)
    return None if text is None else text.lower()


def _ident(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    # Some SDKs send numeric user or session ids as ints; they are still ids.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _amount(value: object) -> float | None:
    try:
        number = parse_float(value)
    except OverflowError:
        return None
    if number is None or not math.isfinite(number) or number < 0:
        return None
    return number


def _count(value: object) -> int | None:
    if type(value) is int and 0 <= value <= INT64_MAX:
        return value  # the usual case, ahead of the general parse
    count = parse_uint64(value)
    if count is not None:
        return count

    # A fraction of a token means the field is not a count; guessing would misprice.
    number = _amount(value)
    if number is None or not number.is_integer() or number > INT64_MAX:
        return None
    return int(number)


def _input_tokens(
    hit: _Hit | None, cached: int | None, creation: int | None
) -> int | None:
    if hit is None:
        return None
    count: int = hit[1]
    if hit[0] != _CLAUDE_INPUT_RANK:
        return count
    return count + (cached or 0) + (creation or 0)


def _vendor_and_model(
    provider: str | None, raw_model: str | None
) -> tuple[str | None, str | None]:
    # The same few names come on nearly every span: remember the short ones (a
    # bound on memory, whatever senders send).
    if len(provider or "") + len(raw_model or "") <= _CACHED_NAMES_LENGTH:
        return _cached_vendor_and_model(provider, raw_model)
    return _read_vendor_and_model(provider, raw_model)


def _read_vendor_and_model(
    provider: str | None, raw_model: str | None
) -> tuple[str | None, str | None]:
    return canonical_vendor(provider, raw_model), split_model(raw_model)[1]


_CACHED_NAMES_LENGTH = 200
_cached_vendor_and_model = functools.lru_cache(maxsize=1024)(_read_vendor_and_model)


def _classify(
    operation: str | None,
    event: str,
    has_tokens: bool,
    model: str | None,
    tool_name: str | None,
) -> SpanClass:
    if operation in _LLM_OPERATIONS:
        return "llm"
    if operation in _TOOL_OPERATIONS:
        return "tool"
    if operation in _AGGREGATE_OPERATIONS:
        return "other"

    if event in _LLM_EVENTS or (event in _USAGE_EVENTS and has_tokens):
        return "llm"
    if event in _TOOL_EVENTS:
        return "tool"

    if model is not None and has_tokens:
        return "llm"
    if tool_name is not None and not has_tokens:
        return "tool"
    return "other"


def _openrouter_view(event: str, span_class: SpanClass) -> tuple[SpanClass, bool]:
    """The class of an OpenRouter Broadcast span, and whether its usage repeats."""
    label = event.lower()
    if label == _OPENROUTER_ROOT:
        return "llm", False
    if _OPENROUTER_CHILD.fullmatch(label):
        return "other", True
    return span_class, False


def _payload_diff(layer: Attrs) -> str | None:
    # Usually one payload key is present, often none: visit those, in order.
    present = layer.keys() & _PAYLOAD_RANK.keys()
    for key in sorted(present, key=_PAYLOAD_RANK.__getitem__):
        value = layer[key]
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
    if _HUNK not in text:
        return False  # most texts are no diff: cheaper than splitting their lines
    seen = {
        marker
        for line in text.splitlines()
        for marker in _DIFF_MARKERS
        if line.startswith(marker)
    }
    return len(seen) == len(_DIFF_MARKERS)


# Each vocabulary: the field it fills, its keys from most to least preferred, and
# how a sent value becomes the field's (None when it cannot).
_VOCABULARIES: tuple[tuple[str, tuple[str, ...], Callable[[object], object]], ...] = (
    ("operation", _OPERATION_KEYS, _lower_text),
    ("model", _MODEL_KEYS, _text),
    ("provider", _PROVIDER_KEYS, _text),
    ("tool", _TOOL_KEYS, _text),
    ("entity", ("traceloop.entity.name",), _text),
    ("input", (*_INPUT_KEYS, _CLAUDE_INPUT_KEY), _count),
    ("output", _OUTPUT_KEYS, _count),
    ("cached", _CACHE_READ_KEYS, _count),
    ("creation", _CACHE_CREATION_KEYS, _count),
    ("cost", _COST_KEYS, _amount),
    ("user", _USER_KEYS, _ident),
    ("email", ("user.email",), _text),
    ("session", _SESSION_KEYS, _ident),
    ("response_id", ("gen_ai.response.id",), _ident),
)
_CLAUDE_INPUT_RANK = len(_INPUT_KEYS)


def _index() -> dict[str, tuple[str, int, Callable[[object], object]]]:
    index: dict[str, tuple[str, int, Callable[[object], object]]] = {}
    for field, keys, parse in _VOCABULARIES:
        for rank, key in enumerate(keys):
            if key in index:
                raise ValueError(f"{key!r} is in two vocabularies; give it one field")
            index[key] = (field, rank, parse)
    return index


# Vocabulary key -> (field, rank among the field's keys, parser).
_KEY_INDEX = _index()
