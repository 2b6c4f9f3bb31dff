"""Normalisation rules shared by every sender: which name wins, how records are
classified without an operation, lenient numbers, and where diffs are found."""

from __future__ import annotations

import json

import pytest

from ingest.normalise import extract_diff, normalise

DIFF = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n-x\n+y\n+z\n"


# Lookup order and preferences


def test_item_wins_over_scope_over_resource() -> None:
    fields = normalise({}, {"user.id": "scope"}, {"user.id": "resource"})
    assert fields.user_ref == "scope"

    fields = normalise({"enduser.id": "item"}, {"user.id": "scope"}, {})
    assert fields.user_ref == "item"


def test_resource_supplies_what_the_item_lacks() -> None:
    resource = {"gen_ai.system": "groq", "session.id": "from-resource"}
    fields = normalise({"gen_ai.request.model": "llama-3.1-8b"}, {}, resource)

    assert (fields.vendor, fields.session_id) == ("groq", "from-resource")


def test_response_model_wins_over_request_model() -> None:
    item = {
        "gen_ai.request.model": "openrouter/auto",
        "gen_ai.response.model": "anthropic/claude-sonnet-4",
    }
    fields = normalise(item, {}, {})

    assert (fields.vendor, fields.model) == ("anthropic", "claude-sonnet-4")


# Classification fallbacks


def test_model_with_tokens_is_a_call_without_any_operation() -> None:
    item = {"model": "gpt-4o", "output_tokens": 3}
    assert normalise(item, {}, {}, name="my.custom.span").span_class == "llm"


def test_model_without_tokens_is_other() -> None:
    assert normalise({"model": "gpt-4o"}, {}, {}).span_class == "other"


def test_tool_name_without_usage_is_a_tool() -> None:
    assert normalise({"tool_name": "Read"}, {}, {}).span_class == "tool"


# Lenient numbers and bad types


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (42, 42),
        (42.0, 42),
        ("42", 42),
        (" 42 ", 42),
        ("42.0", 42),
        (0, 0),
        (-1, None),
        ("-5", None),
        (1.5, None),
        ("abc", None),
        ("", None),
        ("nan", None),
        ("inf", None),
        (True, None),
        (None, None),
        ([1, 2], None),
        ({"a": 1}, None),
        (10**30, None),
    ],
)
def test_token_counts_parse_leniently(raw: object, expected: int | None) -> None:
    fields = normalise({"gen_ai.usage.output_tokens": raw}, {}, {})
    assert fields.output_tokens == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.25, 0.25),
        (1, 1.0),
        ("0.0123", 0.0123),
        ("1e-3", 0.001),
        (-0.5, None),
        ("free", None),
        ("nan", None),
        (False, None),
        (10**400, None),
    ],
)
def test_cost_parses_leniently(raw: object, expected: float | None) -> None:
    fields = normalise({"cost_usd": raw}, {}, {})

    assert fields.cost_usd == expected
    assert fields.cost_source == (None if expected is None else "sent")


def test_bad_value_falls_through_to_the_next_name() -> None:
    item = {"gen_ai.usage.input_tokens": "lots", "gen_ai.usage.prompt_tokens": 12}
    assert normalise(item, {}, {}).input_tokens == 12


def test_wrong_types_leave_fields_none() -> None:
    item: dict[str, object] = {
        "gen_ai.system": ["openai"],
        "gen_ai.request.model": 4,
        "gen_ai.operation.name": {"x": 1},
        "gen_ai.tool.name": 7,
        "user.id": True,
        "user.email": 3.5,
        "session.id": None,
        "tool.output.diff": b"--- a",
        "gen_ai.tool.call.result": 12,
    }
    fields = normalise(item, {}, {}, name="   ")

    assert fields.span_class == "other"
    assert (fields.vendor, fields.model, fields.operation) == (None, None, None)
    assert (fields.tool_name, fields.user_ref, fields.user_email) == (None, None, None)
    assert (fields.session_id, fields.diff) == (None, None)


def test_numeric_ids_are_kept_as_text() -> None:
    fields = normalise({"user.id": 42, "session.id": 7}, {}, {})
    assert (fields.user_ref, fields.session_id) == ("42", "7")


# Diffs


def test_explicit_diff_wins_over_payloads() -> None:
    other = DIFF.replace("a.txt", "b.txt")
    attrs = {"tool.output.diff": DIFF, "gen_ai.tool.call.result": other}
    assert extract_diff(attrs) == DIFF


def test_unified_diff_string_in_tool_result() -> None:
    assert extract_diff({"gen_ai.tool.call.result": DIFF}) == DIFF


def test_patch_member_of_json_arguments() -> None:
    arguments = json.dumps({"path": "a.txt", "patch": DIFF})
    assert extract_diff({"gen_ai.tool.call.arguments": arguments}) == DIFF


def test_patch_member_of_flattened_kvlist() -> None:
    assert extract_diff({"tool_parameters.diff": DIFF}) == DIFF


def test_diff_in_openinference_output_value() -> None:
    assert extract_diff({"output.value": DIFF}) == DIFF


def test_later_attribute_sets_are_searched() -> None:
    assert extract_diff({}, {"tool.output.diff": DIFF}) == DIFF


@pytest.mark.parametrize(
    "value",
    [
        "just some output",
        "--- a/x\n+++ b/x\n",
        "{not json",
        json.dumps({"patch": "not a diff"}),
        json.dumps(["--- a", "+++ b", "@@"]),
        "[" * 100_000,
        "{" * 100_000,
    ],
)
def test_text_that_is_not_a_diff_gives_none(value: str) -> None:
    assert extract_diff({"gen_ai.tool.call.result": value}) is None


def test_payloads_can_be_skipped() -> None:
    assert extract_diff({"output.value": DIFF}, payloads=False) is None


def test_diff_text_in_a_model_reply_is_not_a_code_change() -> None:
    # A model proposing a patch has not changed any code; only tools do.
    item = {"openinference.span.kind": "LLM", "output.value": DIFF}
    assert normalise(item, {}, {}).diff is None
