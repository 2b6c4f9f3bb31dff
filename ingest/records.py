"""Decoded OTLP items, before normalisation, shared by both wire formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Signal = Literal["traces", "metrics", "logs"]
Attributes = dict[str, Any]


@dataclass(slots=True)
class Origin:
    """The resource and scope an item was reported under, flattened."""

    resource: Attributes
    scope_name: str | None
    scope_version: str | None
    scope: Attributes

    @property
    def service_name(self) -> str | None:
        value = self.resource.get("service.name")
        return value if isinstance(value, str) else None


@dataclass(slots=True)
class SpanRecord:
    """One span as sent; ids are lowercase hex, or opaque text kept verbatim."""

    origin: Origin
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    start_unix_nano: int
    end_unix_nano: int
    status_code: int
    status_message: str | None
    attributes: Attributes
    events: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class MetricPointRecord:
    """One data point with the metric it belongs to."""

    origin: Origin
    metric_name: str
    metric_type: str
    unit: str | None
    temporality: int | None
    is_monotonic: bool | None
    start_unix_nano: int | None
    time_unix_nano: int
    value: float | None
    int_value: int | None
    count: int | None
    sum: float | None
    min: float | None
    max: float | None
    distribution: dict[str, Any] | None
    attributes: Attributes


@dataclass(slots=True)
class LogRecord:
    """One log record; event_name is the record's or its `event.name` attribute."""

    origin: Origin
    time_unix_nano: int
    observed_unix_nano: int | None
    severity_number: int | None
    severity_text: str | None
    event_name: str | None
    body: Any
    trace_id: str | None
    span_id: str | None
    attributes: Attributes


Record = SpanRecord | MetricPointRecord | LogRecord


@dataclass(slots=True)
class Decoded:
    """What a request held: the items we could read and those we rejected."""

    signal: Signal
    items: list[Any] = field(default_factory=list)
    rejected: int = 0
    first_error: str | None = None

    def reject(self, reason: str, count: int = 1) -> None:
        """Count `count` items as rejected, remembering the first reason."""
        self.rejected += count
        if self.first_error is None:
            self.first_error = reason
