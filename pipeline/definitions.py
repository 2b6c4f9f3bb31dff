"""The code location `dagster dev`, the webserver and the daemon load."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from pipeline import assets
from pipeline.resources import Stores
from pipeline.sensors import daily_refresh, new_log_rows, refresh_job

defs = Definitions(
    assets=[assets.lake, assets.staged_marts, assets.published_marts],
    asset_checks=[
        assets.totals_match_log,
        assets.no_duplicate_keys,
        assets.no_negative_quantities,
    ],
    jobs=[refresh_job],
    sensors=[new_log_rows],
    schedules=[daily_refresh],
    resources={"stores": Stores.from_settings()},
    # One process per run: the steps share nothing but the stores, and a
    # subprocess per step would cost more than most refreshes take.
    executor=in_process_executor,
)
