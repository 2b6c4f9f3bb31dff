"""When to refresh: as soon as the log has new rows, and daily for the windows."""

from __future__ import annotations

from dagster import (
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from pipeline.resources import Stores
from stereos.settings import get_settings
from warehouse import watermark

refresh_job = define_asset_job("refresh", description="Log -> lake -> marts.")
ACTIVE = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]
DIRTY = "SELECT EXISTS (SELECT 1 FROM pipeline_dirty_days)"


@sensor(
    job=refresh_job,
    minimum_interval_seconds=get_settings().refresh_interval_s,
    default_status=DefaultSensorStatus.RUNNING,
)
def new_log_rows(
    context: SensorEvaluationContext, stores: Stores
) -> RunRequest | SkipReason:
    """Starts a refresh when committed payloads wait past the watermark."""
    running = context.instance.get_runs(
        filters=RunsFilter(job_name=refresh_job.name, statuses=ACTIVE), limit=1
    )
    if running:
        return SkipReason("a refresh is already running")
    with stores.connect() as conn:
        dirty = conn.execute(DIRTY).fetchone()
        if watermark.has_new(conn) or (dirty and dirty[0]):
            return RunRequest()
    return SkipReason("the marts include every committed row")


# The 30-day windows of the profiles move at midnight even when no data does.
daily_refresh = ScheduleDefinition(
    job=refresh_job,
    cron_schedule="5 0 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
