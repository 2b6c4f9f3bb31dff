"""The lake and the marts as Dagster assets; the work is in warehouse/."""

from __future__ import annotations

from dagster import (
    AssetCheckResult,
    MaterializeResult,
    asset,
    asset_check,
)

from pipeline.resources import Stores
from warehouse import marts, marts_checks
from warehouse.follower import update_lake

GROUP = "stereos"


@asset(group_name=GROUP)
def lake(stores: Stores) -> MaterializeResult[None]:
    """Deduplicated spans, metric points and log records as Parquet, by day.

    Reads the log past the watermark; every day a new or late row touches is
    rewritten whole.
    """
    with stores.connect() as conn:
        update = update_lake(conn, stores.lake(), memory=stores.memory_limit)
    return MaterializeResult(
        metadata={
            "payloads": update.payloads,
            "days_rewritten": len(update.days),
            "rows_rewritten": sum(update.rows.values()),
            "as_of_seq": update.as_of.seq,
        }
    )


@asset(group_name=GROUP, deps=[lake])
def staged_marts(stores: Stores) -> MaterializeResult[None]:
    """The next DuckDB marts, built beside the published ones and not yet served."""
    with stores.connect() as conn:
        built = marts.build(
            conn, stores.lake(), stores.published, memory=stores.memory_limit
        )
    return MaterializeResult(
        metadata={"path": str(built.path), "days_rebuilt": len(built.days)}
    )


def _check(name: str, stores: Stores) -> AssetCheckResult:
    failures = marts_checks.CHECKS[name](marts.staged(stores.published), stores.lake())
    return AssetCheckResult(
        passed=not failures, metadata={"failures": "; ".join(failures) or "none"}
    )


@asset_check(asset=staged_marts, blocking=True)
def totals_match_log(stores: Stores) -> AssetCheckResult:
    """Per day and customer, the marts' totals equal the deduplicated log's."""
    return _check("totals_match_log", stores)


@asset_check(asset=staged_marts, blocking=True)
def no_duplicate_keys(stores: Stores) -> AssetCheckResult:
    """No span, metric point or log record identity twice in the lake."""
    return _check("no_duplicate_keys", stores)


@asset_check(asset=staged_marts, blocking=True)
def no_negative_quantities(stores: Stores) -> AssetCheckResult:
    """No negative count, token or cost in the marts."""
    return _check("no_negative_quantities", stores)


@asset(group_name=GROUP, deps=[staged_marts])
def published_marts(stores: Stores) -> MaterializeResult[None]:
    """The marts the API and analysts read: the staged build, swapped in at once."""
    staged = marts.staged(stores.published)
    with stores.connect() as conn:
        version = marts.publish(conn, staged)
    return MaterializeResult(
        metadata={"file": str(version), "days_rebuilt": len(staged.days)}
    )
