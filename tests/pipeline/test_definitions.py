"""The Dagster assets over a real log: they build, check and publish the marts."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from dagster import materialize

from pipeline import assets
from pipeline.definitions import defs
from pipeline.resources import Stores
from tests.factories import make_tenant
from tests.fix_log import Sender, Span, days_ago, write
from tests.warehouse.test_marts import DIRECT, MARTS, _direct, _query, _traffic
from warehouse.lake import Lake

EVERYTHING = [
    assets.lake,
    assets.staged_marts,
    assets.published_marts,
    assets.totals_match_log,
    assets.no_duplicate_keys,
    assets.no_negative_quantities,
]


def _stores(db_url: str, tmp_path: Path) -> Stores:
    return Stores(
        database_url=db_url,
        lake_url=str(tmp_path / "lake"),
        marts_path=str(tmp_path / "marts" / "stereos.duckdb"),
    )


def test_the_definitions_load_with_every_asset_check_and_trigger() -> None:
    repository = defs.get_repository_def()
    keys = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    assert keys == {"lake", "staged_marts", "published_marts"}
    assert repository.get_sensor_def("new_log_rows") is not None
    assert len(repository.schedule_defs) == 1


def test_materialize_builds_marts_equal_to_the_log(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    stores = _stores(db_url, tmp_path)
    _traffic(db, db_url)

    result = materialize(EVERYTHING, resources={"stores": stores})

    assert result.success
    assert _query(stores.published, MARTS) == _direct(db, DIRECT)
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 3 and all(check.passed for check in checks)


def test_a_failing_check_blocks_publication(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    stores = _stores(db_url, tmp_path)
    tenant = make_tenant(db)
    ada = Sender(tenant.customer_id, tenant.team_id, tenant.user_id)
    write(db_url, ada, [Span("t1", "a1", days_ago(1))])
    assert materialize(EVERYTHING, resources={"stores": stores}).success
    before = _query(stores.published, "FROM customer_daily")

    # Corrupt the lake: the day's partition now holds its span twice.
    path = Lake.at(stores.lake_url).path("spans", days_ago(1).date())
    rows = pq.read_table(path)
    pq.write_table(pa.concat_tables([rows, rows]), path)
    write(db_url, ada, [Span("t2", "b1", days_ago(1))])
    result = materialize(EVERYTHING, resources={"stores": stores}, raise_on_error=False)

    assert not result.success
    assert _query(stores.published, "FROM customer_daily") == before
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert {c.check_name for c in failed} >= {"no_duplicate_keys"}
