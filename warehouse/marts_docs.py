"""What every marts table and column means, written into the DuckDB file.

Analysts read these with `SELECT * FROM duckdb_columns()` or
`stereos sql "SELECT table_name, column_name, comment FROM duckdb_columns()"`.
"""

from __future__ import annotations

TABLES = {
    "marts_meta": "One row: what the marts include (as_of) and how they were built.",
    "prices": "Rate cards (USD per million tokens) used for computed costs, per "
    "vendor, model and day.",
    "usage_facts": "Usage per day, customer, team, user, tool, vendor, model, "
    "session and signal, before the one-signal-per-session rule: rows with "
    "counted = false are figures another signal already reports.",
    "daily_user_usage": "Counted usage per day and user (user_id NULL: usage "
    "attributed to nobody).",
    "daily_team_usage": "Counted usage per day and team.",
    "daily_tool_usage": "ToolProfile by day: counted usage per tool (the sending "
    "app or agent), vendor and model.",
    "customer_daily": "Counted usage per customer and day: the dashboard's series.",
    "billable_usage": "Billable usage per customer and day: the input of billing.",
    "user_profiles": "Per user: last 30 days (suffix _30d) and all time, top "
    "models and tools, first and last seen.",
    "team_profiles": "Per team: last 30 days (suffix _30d) and all time, top "
    "models and tools, most active member, first and last seen.",
    "tool_profiles": "Per tool, vendor and model: last 30 days and all time.",
    "dashboard": "Per customer: last 30 days' totals and most active user.",
}

COLUMNS = {
    "as_of_seq": "Newest log sequence number the marts include.",
    "as_of_received_at": "Receive time of the newest payload the marts include.",
    "built_at": "When these marts were built (UTC).",
    "window_start": "First day (UTC) of the 30-day window of *_30d figures.",
    "window_end": "Last day (UTC) of the 30-day window: the build day.",
    "price_version": "Price library version and overrides digest that produced "
    "the computed costs.",
    "dirty_through": "Highest pipeline_dirty_days id these marts include.",
    "days_rebuilt": "Days rebuilt by the run that built this file.",
    "rebuilt_days": "The days that run rebuilt.",
    "full_build": "Whether the run rebuilt every day from the lake.",
    "source": "Where the price came from: genai-prices or override.",
    "input_mtok": "USD per million uncached input tokens.",
    "input_tiers": "Prices above a count of input tokens, for every token.",
    "cache_read_mtok": "USD per million cache-read tokens (NULL: input price).",
    "cache_read_tiers": "Tiers of the cache-read price.",
    "cache_write_mtok": "USD per million cache-write tokens (NULL: input price).",
    "cache_write_tiers": "Tiers of the cache-write price.",
    "output_mtok": "USD per million output tokens.",
    "output_tiers": "Tiers of the output price.",
    "day": "UTC day of the event (span start, point or record time).",
    "customer_id": "Customer (tenant) id.",
    "team_id": "Team the usage is attributed to (NULL: none).",
    "user_id": "Stereos user the usage is attributed to (NULL: nobody).",
    "attributed": "False when the sender named a user Stereos does not know.",
    "tool": "The sending app or agent: its OTel service.name ('unknown' if none).",
    "vendor": "Canonical model vendor (anthropic, openai, google, ...).",
    "model": "Model name, without an OpenRouter-style vendor prefix.",
    "session_id": "Session or conversation id the sender reported.",
    "signal": "span, log or metric: which signal reported these figures.",
    "counted": "Whether this signal is the one counted for its session and day.",
    "lines_counted": "Whether this signal's lines of code are the ones counted "
    "for its session and day (the first of spans, logs, metrics reporting any).",
    "spans": "Deduplicated spans (all classes).",
    "llm_calls": "LLM calls, each counted once.",
    "tool_calls": "Tool calls (tool spans or tool-result log events).",
    "errors": "Spans with error status, plus API-error log events when counted.",
    "input_tokens": "Input tokens, cache reads and writes included.",
    "output_tokens": "Output tokens.",
    "cached_tokens": "Input tokens read from a prompt cache.",
    "cache_creation_tokens": "Input tokens written to a prompt cache.",
    "cost_sent_usd": "Cost the sender reported (USD).",
    "cost_computed_usd": "Cost Stereos computed from tokens and prices (USD), for "
    "calls without a sent cost.",
    "cost_usd": "Sent plus computed cost (USD).",
    "uncosted_calls": "Calls with no sent cost and no known price: not in any cost.",
    "sessions": "Distinct session ids.",
    "lines_added": "Lines of code added: spans' unified diffs, log events' "
    "diff stats or Claude Code's lines_of_code metric (in rollups, only the "
    "first of these a session reports that day).",
    "lines_removed": "Lines of code removed, from the same sources as lines_added.",
    "first_seen_at": "Earliest event time.",
    "last_seen_at": "Latest event time.",
    "active_users": "Distinct users with usage that day.",
    "spans_ingested": "Deduplicated spans received for that day.",
    "top_models": "Up to three models with the most LLM calls, all time.",
    "top_tools": "Up to three tools with the most LLM and tool calls, all time.",
    "most_active_user_id_30d": "User with the most LLM calls in the last 30 days "
    "(then tokens).",
    "active_users_30d": "Distinct users with usage in the last 30 days.",
    "users_30d": "Distinct users in the last 30 days.",
}


def column_comment(name: str) -> str | None:
    """The comment of a column, `_30d` variants included."""
    if name in COLUMNS:
        return COLUMNS[name]
    base = name.removesuffix("_30d")
    if base != name and base in COLUMNS:
        return COLUMNS[base].rstrip(".") + ", last 30 days."
    return None
