"""Model prices from the pinned genai-prices library, plus repository overrides.

genai-prices ships dated prices for hundreds of models and providers and is
read offline from its bundled snapshot (never auto-updated, so a pinned
version always gives the same money). `price_overrides.toml` beside this file
adds what the library lacks and wins over it. Every computed figure records
`price_version()`, the library version plus a digest of the overrides.

Prices are rate cards per (vendor, model, day), applied to token counts in the
marts' SQL with the library's rule: cache reads and writes priced apart are
taken out of the input count; a tier (the price above N input tokens) applies
to every token of a request whose input crosses it.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from importlib import metadata, resources
from typing import Any

from genai_prices import data_snapshot, types

logger = logging.getLogger(__name__)

LIBRARY = "genai-prices"
KEYS = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok")
# Our canonical vendor ids (ingest.vendors) where genai-prices names them otherwise.
PROVIDER_IDS = {
    "azure_openai": "azure",
    "aws_bedrock": "aws",
    "xai": "x-ai",
    "moonshot": "moonshotai",
}

Tier = tuple[int, float]


@dataclass(frozen=True, slots=True)
class Price:
    """One price per million tokens, with the tiers above a count of input tokens."""

    base: float
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True, slots=True)
class RateCard:
    """What a model cost on a day; a missing key is not priced apart."""

    input_mtok: Price
    output_mtok: Price | None
    cache_read_mtok: Price | None
    cache_write_mtok: Price | None
    source: str


@lru_cache(maxsize=1)
def _overrides_text() -> str:
    return (resources.files("warehouse") / "price_overrides.toml").read_text()


@lru_cache(maxsize=1)
def price_version() -> str:
    """The library version and the overrides' digest: equal versions, equal money."""
    digest = hashlib.sha256(_overrides_text().encode()).hexdigest()[:12]
    return f"{LIBRARY} {metadata.version(LIBRARY)}; overrides {digest}"


@lru_cache(maxsize=1)
def _overrides() -> dict[tuple[str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in tomllib.loads(_overrides_text()).get("price", []):
        key = (entry["vendor"], entry["model"].lower())
        found.setdefault(key, []).append(entry)
    for entries in found.values():
        entries.sort(key=lambda entry: entry["from"])
    return found


@lru_cache(maxsize=65536)
def rate_card(vendor: str | None, model: str | None, day: date) -> RateCard | None:
    """The model's prices on `day`, or None when neither source knows the model."""
    if not model:
        return None
    override = _override(vendor, model, day)
    if override is not None:
        return override
    return _library(vendor, model, day)


def _override(vendor: str | None, model: str, day: date) -> RateCard | None:
    entries = _overrides().get((vendor or "", model.lower()), [])
    current = [entry for entry in entries if entry["from"] <= day]
    if not current:
        return None
    entry = current[-1]

    def price(key: str) -> Price | None:
        value = entry.get(key)
        return None if value is None else Price(float(value))

    return RateCard(
        input_mtok=Price(float(entry["input_mtok"])),
        output_mtok=price("output_mtok"),
        cache_read_mtok=price("cache_read_mtok"),
        cache_write_mtok=price("cache_write_mtok"),
        source="override",
    )


def _library(vendor: str | None, model: str, day: date) -> RateCard | None:
    snapshot = data_snapshot.get_snapshot()
    provider = PROVIDER_IDS.get(vendor or "", vendor)
    found = None
    for provider_id in (provider, None) if provider else (None,):
        try:
            found = snapshot.find_provider_model(model, None, provider_id, None)
            break
        except LookupError:
            continue
    if found is None:
        return None
    # Prices of a day are those in force at its start (UTC).
    model_price = found[1].get_prices(datetime.combine(day, time(), tzinfo=UTC))
    prices = {key: _price(getattr(model_price, key, None)) for key in KEYS}
    input_price = prices["input_mtok"]
    if input_price is None:
        return None
    return RateCard(
        input_mtok=input_price,
        output_mtok=prices["output_mtok"],
        cache_read_mtok=prices["cache_read_mtok"],
        cache_write_mtok=prices["cache_write_mtok"],
        source=LIBRARY,
    )


def _price(value: object) -> Price | None:
    if isinstance(value, Decimal):
        return Price(float(value))
    if isinstance(value, types.TieredPrices):
        tiers = tuple((int(tier.start), float(tier.price)) for tier in value.tiers)
        return Price(float(value.base), tiers)
    return None


def price_rows(
    wanted: Iterable[tuple[str | None, str | None, date]],
) -> list[tuple[Any, ...]]:
    """Rows of the marts' `prices` table for every known (vendor, model, day)."""
    version = price_version()
    rows = []
    for vendor, model, day in wanted:
        card = rate_card(vendor, model, day)
        if card is None:
            continue
        rows.append(
            (vendor, model, day, version, card.source,
             *_columns(card.input_mtok), *_columns(card.cache_read_mtok),
             *_columns(card.cache_write_mtok), *_columns(card.output_mtok))
        )  # fmt: skip
    return rows


def _columns(price: Price | None) -> tuple[float | None, list[dict[str, Any]]]:
    if price is None:
        return None, []
    return price.base, [{"start": start, "price": rate} for start, rate in price.tiers]
