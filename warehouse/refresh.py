"""One refresh of the derived data: log -> lake -> staged marts -> checks -> publish.

The Dagster assets run these steps one by one; `stereos backfill` and the
tests run them here, in one call, with no Dagster instance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import psycopg

from warehouse import marts, marts_checks, watermark
from warehouse.follower import LakeUpdate, update_lake
from warehouse.lake import Lake

logger = logging.getLogger(__name__)

# Progress steps a refresh reports: 4 here, 4 in marts.build.
STEPS = 8


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh did."""

    lake: LakeUpdate
    staged: marts.Staged
    version: Path


def refresh(
    conn: psycopg.Connection,
    lake: Lake,
    published: Path,
    *,
    full: bool = False,
    memory: str = "1GB",
    progress: marts.Progress | None = None,
) -> Refreshed:
    """Follow the log into the lake, rebuild the marts, check and publish them.

    `full` rebuilds the lake and every mart from the whole log. A failed check
    raises CheckFailed and leaves the published marts as they were.
    """
    step = progress or (lambda _: None)
    step("reading the log into the lake")
    if full:
        watermark.reset(conn)
        conn.commit()
    changed = update_lake(conn, lake, full=full, memory=memory)
    step("building the marts")
    staged = marts.build(
        conn, lake, published, full=full, memory=memory, progress=progress
    )
    step("checking the marts")
    failures = marts_checks.run_all(staged, lake)
    marts.ensure_checked([f for found in failures.values() for f in found])
    step("publishing the marts")
    version = marts.publish(conn, staged)
    return Refreshed(changed, staged, version)
