"""Normalisation of every sender vocabulary into GenAIFields."""

from __future__ import annotations

import json

import pytest

from ingest.normalise import normalise

DIFF = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n-x\n+y\n+z\n"

# The resource every fixture in /work/shared/fixtures/otlp-js carries.
CLAUDE_RESOURCE: dict[str, object] = {
    "service.name": "claude-code",
    "user.id": "user-1",
    "team.id": "platform",
}
OPENROUTER_RESOURCE: dict[str, object] = {"service.name": "openrouter"}


def openrouter_root() -> dict[str, object]:
    """Attributes of an OpenRouter Broadcast root span, numbers sent as strings."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "OpenAI",
        "gen_ai.request.model": "openai/gpt-4o",
        "gen_ai.usage.input_tokens": "1200",
        "gen_ai.usage.output_tokens": "300",
        "gen_ai.usage.input_tokens.cached": "200",
        "gen_ai.usage.total_cost": "0.0123",
        "gen_ai.response.id": "gen-123",
        "user.id": "alice",
        "session.id": "s-9",
        "trace.metadata.team_id": "platform",
    }


# OTel GenAI, current and older names


def test_otel_genai_current_vocabulary() -> None:
    item: dict[str, object] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 50,
        "gen_ai.usage.cache_read.input_tokens": 400,
        "gen_ai.usage.cache_creation.input_tokens": 100,
        "gen_ai.conversation.id": "conv-1",
        "gen_ai.response.id": "chatcmpl-1",
        "enduser.id": "bob",
    }
    fields = normalise(item, {}, {}, name="chat gpt-4o")

    assert fields.span_class == "llm"
    assert fields.operation == "chat"
    assert (fields.vendor, fields.model) == ("openai", "gpt-4o-2024-08-06")
    # The convention's input already includes the cache: nothing is added.
    assert fields.input_tokens == 1000
    assert (fields.output_tokens, fields.cached_tokens) == (50, 400)
    assert fields.cache_creation_tokens == 100
    assert (fields.session_id, fields.response_id) == ("conv-1", "chatcmpl-1")
    assert fields.user_ref == "bob"
    assert (fields.cost_usd, fields.cost_source) == (None, None)


def test_otel_genai_older_vocabulary() -> None:
    item: dict[str, object] = {
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-3-5-sonnet",
        "gen_ai.usage.prompt_tokens": 10,
        "gen_ai.usage.completion_tokens": 20,
        "gen_ai.usage.cost": 0.5,
    }
    fields = normalise(item, {}, {})

    assert fields.span_class == "llm"
    assert fields.vendor == "anthropic"
    assert (fields.input_tokens, fields.output_tokens) == (10, 20)
    assert (fields.cost_usd, fields.cost_source) == (0.5, "sent")


# OpenLLMetry


def test_openllmetry_llm_span() -> None:
    item: dict[str, object] = {
        "gen_ai.system": "MistralAI",
        "llm.request.type": "chat",
        "gen_ai.request.model": "mistral-large-latest",
        "gen_ai.usage.prompt_tokens": 80,
        "gen_ai.usage.completion_tokens": 5,
        "gen_ai.usage.cache_read_input_tokens": 30,
        "traceloop.association.properties.user_id": "carol",
        "traceloop.association.properties.session_id": "chat-7",
    }
    fields = normalise(item, {}, {}, name="mistralai.chat")

    assert (fields.span_class, fields.operation) == ("llm", "chat")
    assert fields.vendor == "mistral"
    assert (fields.input_tokens, fields.cached_tokens) == (80, 30)
    assert (fields.user_ref, fields.session_id) == ("carol", "chat-7")


def test_openllmetry_tool_span_is_named_by_its_entity() -> None:
    item = {"traceloop.span.kind": "tool", "traceloop.entity.name": "web_search"}
    fields = normalise(item, {}, {}, name="web_search.tool")

    assert (fields.span_class, fields.tool_name) == ("tool", "web_search")


def test_openllmetry_workflow_span_is_not_a_call() -> None:
    item = {"traceloop.span.kind": "workflow", "traceloop.entity.name": "pipeline"}
    fields = normalise(item, {}, {})

    assert (fields.span_class, fields.tool_name) == ("other", None)


# OpenInference


def test_openinference_llm_span() -> None:
    item: dict[str, object] = {
        "openinference.span.kind": "LLM",
        "llm.provider": "anthropic",
        "llm.model_name": "claude-sonnet-4",
        "llm.token_count.prompt": 500,
        "llm.token_count.completion": 40,
        "llm.token_count.prompt_details.cache_read": 300,
        "llm.token_count.prompt_details.cache_write": 20,
        "llm.cost.total": 0.002,
        "user.id": "dave",
        "session.id": "sess-1",
    }
    fields = normalise(item, {}, {})

    assert (fields.span_class, fields.operation) == ("llm", "llm")
    assert (fields.vendor, fields.model) == ("anthropic", "claude-sonnet-4")
    assert (fields.input_tokens, fields.output_tokens) == (500, 40)
    assert (fields.cached_tokens, fields.cache_creation_tokens) == (300, 20)
    assert (fields.cost_usd, fields.cost_source) == (0.002, "sent")
    assert (fields.user_ref, fields.session_id) == ("dave", "sess-1")


def test_openinference_embedding_span_is_an_llm_call() -> None:
    item = {"openinference.span.kind": "EMBEDDING", "llm.system": "openai"}
    assert normalise(item, {}, {}).span_class == "llm"


def test_openinference_tool_span_with_patch_parameters() -> None:
    item = {
        "openinference.span.kind": "TOOL",
        "tool.name": "apply_patch",
        "tool.parameters": json.dumps({"patch": DIFF}),
    }
    fields = normalise(item, {}, {})

    assert (fields.span_class, fields.tool_name) == ("tool", "apply_patch")
    assert fields.diff == DIFF


@pytest.mark.parametrize(
    "item",
    [
        {"openinference.span.kind": "AGENT"},
        {"openinference.span.kind": "CHAIN"},
        {"gen_ai.operation.name": "invoke_agent"},
    ],
)
def test_agent_spans_keep_usage_but_are_not_calls(item: dict[str, object]) -> None:
    # An agent reports its children's total; counting it again would double it.
    attrs = {**item, "llm.model_name": "gpt-4o", "gen_ai.usage.input_tokens": 900}
    fields = normalise(attrs, {}, {})

    assert fields.span_class == "other"
    assert fields.input_tokens == 900


def test_execute_tool_operation_is_a_tool() -> None:
    item = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "grep"}
    fields = normalise(item, {}, {})

    assert (fields.span_class, fields.tool_name) == ("tool", "grep")


# Claude Code, using the shapes of the otlp-js fixtures


def test_claude_code_llm_request_span_fixture() -> None:
    item: dict[str, object] = {
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4",
        "input_tokens": 1200,
        "output_tokens": 300,
        "user.id": "user-1",
    }
    scope = {"name": "agent-js"}
    fields = normalise(item, scope, CLAUDE_RESOURCE, name="claude_code.llm_request")

    assert fields.span_class == "llm"
    assert (fields.vendor, fields.model) == ("anthropic", "claude-sonnet-4")
    assert (fields.input_tokens, fields.output_tokens) == (1200, 300)
    assert fields.user_ref == "user-1"


def test_claude_code_tool_span_fixture_carries_its_diff() -> None:
    item = {"tool_name": "Edit", "tool.output.diff": DIFF}
    fields = normalise(item, {}, CLAUDE_RESOURCE, name="claude_code.tool")

    assert (fields.span_class, fields.tool_name) == ("tool", "Edit")
    assert fields.diff == DIFF


def test_claude_code_interaction_span_fixture_is_other() -> None:
    fields = normalise({}, {}, CLAUDE_RESOURCE, name="claude_code.interaction")

    assert fields.span_class == "other"
    assert fields.user_ref == "user-1"
    assert fields.input_tokens is None


def test_claude_code_token_metric_point_fixture_is_not_a_call() -> None:
    # The count is the data point's value, read elsewhere; attributes hold no usage.
    point = {"type": "input", "model": "claude-sonnet-4", "user.id": "user-1"}
    fields = normalise(point, {}, CLAUDE_RESOURCE, name="claude_code.token.usage")

    assert fields.span_class == "other"
    assert (fields.vendor, fields.model) == ("anthropic", "claude-sonnet-4")
    assert fields.input_tokens is None


def test_claude_code_api_request_event_fixture() -> None:
    item: dict[str, object] = {
        "event.name": "api_request",
        "model": "claude-sonnet-4",
        "cost_usd": 0.0081,
        "input_tokens": 1200,
        "output_tokens": 300,
        "duration_ms": 2100,
        "user.id": "user-1",
    }
    scope = {"name": "com.anthropic.claude_code.events"}
    fields = normalise(item, scope, CLAUDE_RESOURCE, name="claude_code.api_request")

    assert fields.span_class == "llm"
    assert fields.vendor == "anthropic"
    assert (fields.input_tokens, fields.output_tokens) == (1200, 300)
    assert (fields.cost_usd, fields.cost_source) == (0.0081, "sent")


def test_claude_code_tool_result_event_fixture() -> None:
    item: dict[str, object] = {
        "event.name": "tool_result",
        "tool_name": "Edit",
        "success": "true",
        "duration_ms": 40,
        "user.id": "user-1",
    }
    fields = normalise(item, {}, CLAUDE_RESOURCE)

    assert (fields.span_class, fields.tool_name) == ("tool", "Edit")


def test_claude_code_input_gets_cache_reads_and_writes_added() -> None:
    # Claude Code's input_tokens leaves the cache out; ours includes it.
    item: dict[str, object] = {
        "event.name": "api_request",
        "model": "claude-opus-4",
        "input_tokens": 100,
        "output_tokens": 20,
        "cache_read_tokens": 1000,
        "cache_creation_tokens": 50,
    }
    fields = normalise(item, {}, {})

    assert fields.input_tokens == 1150
    assert (fields.cached_tokens, fields.cache_creation_tokens) == (1000, 50)


def test_claude_code_identity_attributes() -> None:
    item = {
        "user.account_uuid": "acc-uuid",
        "user.email": "eve@example.com",
        "session.id": "cc-session",
    }
    fields = normalise(item, {}, {}, name="user_prompt")

    assert (fields.user_ref, fields.user_email) == ("acc-uuid", "eve@example.com")
    assert fields.session_id == "cc-session"


def test_claude_code_tool_parameters_with_diff() -> None:
    item = {"tool_name": "Bash", "tool_parameters": json.dumps({"diff": DIFF})}
    fields = normalise(item, {}, {}, name="tool_result")

    assert fields.diff == DIFF


# Codex and Gemini CLI


def test_codex_completed_response_is_a_call() -> None:
    item: dict[str, object] = {
        "event.name": "codex.sse_event",
        "event.kind": "response.completed",
        "model": "gpt-5-codex",
        "input_token_count": 1000,
        "output_token_count": 90,
        "cached_token_count": 800,
        "user.account_id": "acct-1",
        "conversation.id": "conv-codex",
    }
    fields = normalise(item, {}, {})

    assert fields.span_class == "llm"
    assert (fields.vendor, fields.model) == ("openai", "gpt-5-codex")
    # Codex's input count includes the cached part already.
    assert (fields.input_tokens, fields.cached_tokens) == (1000, 800)
    assert (fields.user_ref, fields.session_id) == ("acct-1", "conv-codex")
    assert fields.cost_usd is None


def test_codex_stream_event_without_counts_is_not_a_call() -> None:
    item = {"event.name": "codex.sse_event", "event.kind": "response.created"}
    assert normalise(item, {}, {}).span_class == "other"


def test_codex_tool_result() -> None:
    item = {"tool_name": "shell", "arguments": "ls", "output": "README.md"}
    fields = normalise(item, {}, {}, name="codex.tool_result")

    assert (fields.span_class, fields.tool_name, fields.diff) == ("tool", "shell", None)


def test_gemini_api_response() -> None:
    item: dict[str, object] = {
        "model": "gemini-2.5-pro",
        "input_token_count": 700,
        "output_token_count": 70,
        "cached_token_count": 100,
    }
    fields = normalise(item, {}, {}, name="gemini_cli.api_response")

    assert (fields.span_class, fields.vendor) == ("llm", "google")
    assert (fields.input_tokens, fields.cached_tokens) == (700, 100)


def test_gemini_tool_call() -> None:
    item = {"function_name": "replace", "event.name": "gemini_cli.tool_call"}
    assert normalise(item, {}, {}).span_class == "tool"


# OpenRouter Broadcast


def test_openrouter_root_span_counts_usage() -> None:
    fields = normalise(
        openrouter_root(), {}, OPENROUTER_RESOURCE, name="LLM Generation"
    )

    assert fields.span_class == "llm"
    assert (fields.vendor, fields.model) == ("openai", "gpt-4o")
    assert (fields.input_tokens, fields.output_tokens) == (1200, 300)
    assert fields.cached_tokens == 200
    assert (fields.cost_usd, fields.cost_source) == (0.0123, "sent")
    assert (fields.user_ref, fields.session_id) == ("alice", "s-9")
    assert fields.response_id == "gen-123"


@pytest.mark.parametrize(
    "name", ["generation", "provider attempt 1", "Provider Attempt 2"]
)
def test_openrouter_children_never_count_usage(name: str) -> None:
    fields = normalise(openrouter_root(), {}, OPENROUTER_RESOURCE, name=name)

    assert fields.span_class == "other"
    assert (fields.input_tokens, fields.output_tokens, fields.cached_tokens) == (
        None,
        None,
        None,
    )
    assert (fields.cost_usd, fields.cost_source) == (None, None)
    assert fields.model == "gpt-4o"


def test_generation_span_from_another_sender_still_counts() -> None:
    fields = normalise(openrouter_root(), {}, CLAUDE_RESOURCE, name="generation")
    assert (fields.span_class, fields.input_tokens) == ("llm", 1200)


def test_openrouter_display_name_provider_is_canonical() -> None:
    item = {**openrouter_root(), "gen_ai.provider.name": "Google AI Studio"}
    item["gen_ai.request.model"] = "google/gemini-2.5-flash"
    fields = normalise(item, {}, OPENROUTER_RESOURCE, name="LLM Generation")

    assert (fields.vendor, fields.model) == ("google", "gemini-2.5-flash")


def test_router_provider_defers_to_model_prefix() -> None:
    item = {"gen_ai.system": "OpenRouter", "gen_ai.request.model": "anthropic/claude-3"}
    fields = normalise(item, {}, {})

    assert (fields.vendor, fields.model) == ("anthropic", "claude-3")
