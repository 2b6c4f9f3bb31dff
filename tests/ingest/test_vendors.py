"""Canonical vendor ids from provider names, aliases and model ids."""

from __future__ import annotations

import pytest

from ingest.vendors import canonical_vendor, split_model


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Anthropic", "anthropic"),
        ("anthropic", "anthropic"),
        ("claude", "anthropic"),
        ("OpenAI", "openai"),
        ("openai", "openai"),
        ("azure.ai.openai", "azure_openai"),
        ("az.ai.openai", "azure_openai"),
        ("MistralAI", "mistral"),
        ("mistral_ai", "mistral"),
        ("Mistral AI", "mistral"),
        ("mistral", "mistral"),
        ("Google AI Studio", "google"),
        ("gcp.gemini", "google"),
        ("gcp.vertex_ai", "google"),
        ("google", "google"),
        ("gemini", "google"),
        ("vertex_ai", "google"),
        ("gemini_cli", "google"),
        ("aws.bedrock", "aws_bedrock"),
        ("bedrock", "aws_bedrock"),
        ("Amazon Bedrock", "aws_bedrock"),
        ("cohere", "cohere"),
        ("groq", "groq"),
        ("deepseek", "deepseek"),
        ("x-ai", "xai"),
        ("xai", "xai"),
        ("meta-llama", "meta"),
        ("meta", "meta"),
        ("perplexity", "perplexity"),
        ("together_ai", "together"),
        ("Together", "together"),
        ("fireworks", "fireworks"),
        ("ollama", "ollama"),
        ("qwen", "qwen"),
        ("  OpenAI  ", "openai"),
    ],
)
def test_aliases_map_to_one_id(raw: str, expected: str) -> None:
    assert canonical_vendor(raw) == expected


def test_unknown_vendor_is_kept_in_canonical_form() -> None:
    assert canonical_vendor("  Acme Labs-AI ") == "acme_labs_ai"


def test_known_provider_wins_over_model_prefix() -> None:
    # Together serves Meta's weights under Meta's namespace; Together billed it.
    assert canonical_vendor("together", "meta-llama/Llama-3.3-70B") == "together"


@pytest.mark.parametrize(
    ("raw", "model", "expected"),
    [
        ("OpenRouter", "openai/gpt-4o", "openai"),
        ("openrouter", "anthropic/claude-sonnet-4", "anthropic"),
        (None, "x-ai/grok-4", "xai"),
        (None, "meta-llama/llama-3.1-70b-instruct", "meta"),
        (None, "mistralai/mistral-large", "mistral"),
        (None, "moonshotai/kimi-k2", "moonshot"),
        (None, "nousresearch/hermes-3", "nousresearch"),
        ("openrouter", "openrouter/auto", "openrouter"),
    ],
)
def test_router_or_missing_provider_defers_to_model_prefix(
    raw: str | None, model: str, expected: str
) -> None:
    assert canonical_vendor(raw, model) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-sonnet-4", "anthropic"),
        ("gpt-4o-mini", "openai"),
        ("o1", "openai"),
        ("o3-mini", "openai"),
        ("o4-mini", "openai"),
        ("gemini-2.5-pro", "google"),
        ("mistral-large-latest", "mistral"),
        ("codestral-2501", "mistral"),
        ("llama3.1:8b", "meta"),
        ("grok-4", "xai"),
        ("deepseek-chat", "deepseek"),
        ("command-r-plus", "cohere"),
        ("qwen2.5-coder", "qwen"),
    ],
)
def test_missing_provider_is_inferred_from_model_family(
    model: str, expected: str
) -> None:
    assert canonical_vendor(None, model) == expected


def test_router_without_prefix_uses_model_family_then_router() -> None:
    assert canonical_vendor("openrouter", "gpt-4o") == "openai"
    assert canonical_vendor("openrouter", "mystery-model") == "openrouter"


@pytest.mark.parametrize(
    ("raw", "model"),
    [(None, None), (None, "mystery-model"), ("", None), ("   ", "o10k-thing")],
)
def test_nothing_recognisable_gives_none(raw: str | None, model: str | None) -> None:
    assert canonical_vendor(raw, model) is None


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("openai/gpt-4o", ("openai", "gpt-4o")),
        ("anthropic/claude-sonnet-4", ("anthropic", "claude-sonnet-4")),
        ("x-ai/grok-4:free", ("xai", "grok-4:free")),
        ("gpt-4o", (None, "gpt-4o")),
        (
            "publishers/google/models/gemini-2.0",
            (None, "publishers/google/models/gemini-2.0"),
        ),
        ("openai/", (None, "openai/")),
        (None, (None, None)),
    ],
)
def test_split_model_strips_one_author_prefix(
    model: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert split_model(model) == expected
