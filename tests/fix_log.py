"""Plain factories that write spans, log records and metric points to the log.

They go through warehouse.log.append, the function ingest uses, so payloads
get real sequence numbers and transaction ids.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from warehouse.log import Attribution, PayloadMeta, append

NOW = datetime.now(UTC).replace(microsecond=0)


def days_ago(days: int, *, hours: int = 12) -> datetime:
    """A time `days` days before today, at `hours` UTC."""
    midnight = NOW.replace(hour=0, minute=0, second=0)
    return midnight - timedelta(days=days) + timedelta(hours=hours)


@dataclass
class Span:
    trace: str
    span: str
    start: datetime
    span_class: str = "llm"
    parent: str | None = None
    model: str | None = "gpt-4o"
    vendor: str | None = "openai"
    input_tokens: int | None = 1000
    output_tokens: int | None = 100
    cached_tokens: int | None = None
    cache_creation_tokens: int | None = None
    cost_usd: float | None = None
    session: str | None = None
    service: str = "app"
    status: int = 0
    response_id: str | None = None
    tool_name: str | None = None
    diff: str | None = None

    def values(self) -> tuple[Any, ...]:
        nanos = int(self.start.timestamp() * 1e9)
        return (
            self.trace, self.span, self.parent, "span", 1, self.status, None,
            self.start, nanos, nanos + 1_000_000, self.service, "scope",
            self.span_class, None, self.vendor, self.model, self.input_tokens,
            self.output_tokens, self.cached_tokens, self.cache_creation_tokens,
            self.cost_usd, None if self.cost_usd is None else "sent", self.session,
            self.tool_name, self.response_id, self.diff, "{}", "{}", None, None,
        )  # fmt: skip


@dataclass
class Record:
    """A log record (e.g. Claude Code's api_request event)."""

    time: datetime
    event: str = "claude_code.api_request"
    record_class: str = "llm"
    model: str | None = "claude-sonnet-4-5"
    vendor: str | None = "anthropic"
    input_tokens: int | None = 1000
    output_tokens: int | None = 100
    cost_usd: float | None = 0.01
    session: str | None = "s1"
    service: str = "claude-code"
    attributes: dict[str, Any] = field(default_factory=dict)
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def values(self) -> tuple[Any, ...]:
        nanos = int(self.time.timestamp() * 1e9)
        return (
            nanos, nanos, self.time, 9, "INFO", self.event, None, None, None,
            self.service, "scope", self.record_class, self.vendor, self.model,
            self.input_tokens, self.output_tokens, None, None, self.cost_usd,
            None if self.cost_usd is None else "sent", self.session, None,
            json.dumps(self.attributes), "{}", bytes.fromhex(self.key),
        )  # fmt: skip


@dataclass
class Point:
    """A delta metric point (e.g. claude_code.token.usage of one type)."""

    time: datetime
    name: str = "claude_code.token.usage"
    point_type: str | None = "input"
    value: float = 100.0
    model: str | None = "claude-sonnet-4-5"
    session: str | None = "s1"
    service: str = "claude-code"
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def values(self) -> tuple[Any, ...]:
        nanos = int(self.time.timestamp() * 1e9)
        attributes = json.dumps({"type": self.point_type} if self.point_type else {})
        return (
            self.name, "sum", None, 1, True, nanos - 60_000_000_000, nanos,
            self.time, self.value, None, None, None, None, None, None,
            self.service, "scope", "anthropic", self.model, self.session,
            attributes, "{}", bytes.fromhex(self.key),
        )  # fmt: skip


@dataclass(frozen=True)
class Sender:
    """Who a payload is from: customer, and the team and user rows go to."""

    customer_id: uuid.UUID
    team_id: uuid.UUID | None
    user_id: uuid.UUID | None
    credential_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def who(self) -> Attribution:
        attributed = self.user_id is not None
        return Attribution(self.team_id, self.user_id, None, attributed)


def write(
    url: str,
    sender: Sender,
    items: list[Span] | list[Record] | list[Point],
    *,
    received_at: datetime | None = None,
) -> int:
    """Append one payload holding `items` (all of one kind); return its seq."""
    signal = {Span: "traces", Record: "logs", Point: "metrics"}[type(items[0])]
    meta = PayloadMeta(
        received_at=received_at or datetime.now(UTC),
        customer_id=sender.customer_id,
        team_id=sender.team_id,
        credential_id=sender.credential_id,
        credential_kind="token",
        signal=signal,
        content_type="application/json",
        content_encoding=None,
        source=None,
    )
    rows = [(sender.who, item.values()) for item in items]

    async def run() -> int:
        conn = await psycopg.AsyncConnection.connect(url)
        async with conn:
            return await append(conn, meta=meta, body=b"{}", rows=rows)

    return asyncio.run(run())
