"""Canonical model-vendor ids from the provider names and model ids senders use."""

from __future__ import annotations

import re

# Keys are already passed through `_key`, so "Mistral AI", "mistral-ai" and
# "mistral_ai" share one entry.
_ALIASES: dict[str, str] = {
    "anthropic": "anthropic",
    "claude": "anthropic",
    "openai": "openai",
    "open_ai": "openai",
    # Azure keeps its own id: the spend lands on an Azure invoice, not OpenAI's,
    # and teams want to tell the two accounts apart.
    "azure.ai.openai": "azure_openai",
    "az.ai.openai": "azure_openai",
    "azure_openai": "azure_openai",
    "azure": "azure_openai",
    "azure.ai.inference": "azure_ai",
    "mistral": "mistral",
    "mistralai": "mistral",
    "mistral_ai": "mistral",
    "google": "google",
    "gemini": "google",
    "gemini_cli": "google",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "vertex_ai": "google",
    "vertexai": "google",
    "google_ai_studio": "google",
    "google_vertex": "google",
    "google_genai": "google",
    "aws.bedrock": "aws_bedrock",
    "aws_bedrock": "aws_bedrock",
    "bedrock": "aws_bedrock",
    "amazon_bedrock": "aws_bedrock",
    "cohere": "cohere",
    "groq": "groq",
    "deepseek": "deepseek",
    "deepseek_ai": "deepseek",
    "xai": "xai",
    "x_ai": "xai",
    "meta": "meta",
    "meta_llama": "meta",
    "openrouter": "openrouter",
    "open_router": "openrouter",
    "perplexity": "perplexity",
    "perplexity_ai": "perplexity",
    "together": "together",
    "together_ai": "together",
    "togetherai": "together",
    "fireworks": "fireworks",
    "fireworks_ai": "fireworks",
    "ollama": "ollama",
    "qwen": "qwen",
    "moonshotai": "moonshot",
    "moonshot": "moonshot",
    "ibm.watsonx.ai": "ibm_watsonx",
}

# Routers forward to another vendor's model; the model id names the real vendor.
_ROUTERS = frozenset({"openrouter"})

# Matched against the start of a lowercased model name without a vendor prefix.
_MODEL_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"claude"), "anthropic"),
    (re.compile(r"gpt-|chatgpt|o[1-9](?:-|$)|text-embedding-|codex-"), "openai"),
    (re.compile(r"gemini|gemma|text-bison|chat-bison"), "google"),
    (re.compile(r"mistral|mixtral|codestral|ministral|pixtral|magistral"), "mistral"),
    (re.compile(r"devstral|open-mistral"), "mistral"),
    (re.compile(r"llama|codellama"), "meta"),
    (re.compile(r"command|c4ai-|embed-(?:english|multilingual)"), "cohere"),
    (re.compile(r"grok"), "xai"),
    (re.compile(r"deepseek"), "deepseek"),
    (re.compile(r"qwen|qwq"), "qwen"),
    (re.compile(r"sonar"), "perplexity"),
    (re.compile(r"kimi"), "moonshot"),
)

# One author slug, one slash, then the model: "openai/gpt-4o", "x-ai/grok-4".
# Longer paths (Vertex "publishers/...", Fireworks "accounts/...") are left alone.
_PREFIXED = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)/([^/]+)")

_SEPARATORS = re.compile(r"[\s_-]+")


def _key(raw: str) -> str:
    return _SEPARATORS.sub("_", raw.strip().lower())


def _from_name(model: str | None) -> str | None:
    if model is None:
        return None
    name = model.strip().lower()
    for pattern, vendor in _MODEL_FAMILIES:
        if pattern.match(name):
            return vendor
    return None


def split_model(model: str | None) -> tuple[str | None, str | None]:
    """OpenRouter-style 'vendor/model' -> (canonical vendor or None, model name).

    A model without exactly one author prefix comes back unchanged with None.
    """
    if model is None:
        return None, None
    match = _PREFIXED.fullmatch(model.strip())
    if match is None:
        return None, model
    return canonical_vendor(match.group(1)), match.group(2)


def canonical_vendor(raw: str | None, model: str | None = None) -> str | None:
    """Canonical lowercase vendor id for a provider name, helped by the model id.

    Known aliases map to one id; an unknown provider is kept, lowercased with
    spaces and dashes turned into underscores. When the provider is missing or is
    a router, a `vendor/` prefix on the model decides, then the model's family
    name ("claude-..." is Anthropic); a router with neither stays the router.
    """
    vendor: str | None = None
    if raw is not None and raw.strip():
        key = _key(raw)
        vendor = _ALIASES.get(key, key)
    if vendor is not None and vendor not in _ROUTERS:
        return vendor

    prefix_vendor, name = split_model(model)
    if prefix_vendor is not None:
        return prefix_vendor
    return _from_name(name) or vendor
