"""How far the pipeline has read the log: the snapshot of its last run.

The rule (also in migrations/0010_pipeline.sql): a run reads, in one
REPEATABLE READ transaction, the payloads whose txid is visible in its
snapshot and was not visible in the snapshot stored by the previous run, then
stores its own snapshot. Snapshots only grow, so each committed payload is
read once; a transaction still running when a run starts (whatever sequence
numbers it took) is read by the first run after its commit. A transaction
running elsewhere for long delays nothing but itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

LAKE = "lake"
NOTHING_READ = "1:1:"

ENSURE = """
INSERT INTO pipeline_watermarks (name) VALUES (%(name)s)
ON CONFLICT (name) DO NOTHING
"""
READ = """
SELECT snapshot::text, last_seq, last_received_at, pg_current_snapshot()::text
FROM pipeline_watermarks WHERE name = %(name)s
"""
# Payloads `p` of the window; the xmin bound lets the payloads_txid index scan.
CONDITION = """
p.txid >= pg_snapshot_xmin({old}::pg_snapshot)
AND pg_visible_in_snapshot(p.txid, {new}::pg_snapshot)
AND NOT pg_visible_in_snapshot(p.txid, {old}::pg_snapshot)
"""
WINDOW_STATS = "SELECT count(*), max(seq), max(received_at) FROM payloads p WHERE {}"
HAS_NEW = """
SELECT EXISTS (
    SELECT 1 FROM payloads p, pipeline_watermarks m
    WHERE m.name = %(name)s
      AND p.txid >= pg_snapshot_xmin(m.snapshot)
      AND pg_visible_in_snapshot(p.txid, pg_current_snapshot())
      AND NOT pg_visible_in_snapshot(p.txid, m.snapshot)
)
"""
ADVANCE = """
UPDATE pipeline_watermarks
SET snapshot = %(new)s::pg_snapshot,
    last_seq = greatest(last_seq, coalesce(%(seq)s, 0)),
    last_received_at = CASE
        WHEN last_received_at IS NULL OR %(at)s > last_received_at THEN %(at)s
        ELSE last_received_at END,
    updated_at = now()
WHERE name = %(name)s
"""
RESET = """
UPDATE pipeline_watermarks
SET snapshot = %(nothing)s::pg_snapshot, last_seq = 0, last_received_at = NULL,
    updated_at = now()
WHERE name = %(name)s
"""


@dataclass(frozen=True, slots=True)
class Window:
    """The payloads one run reads: visible in `new`, not in `old`."""

    old: str
    new: str

    def condition(self) -> sql.Composable:
        """A WHERE condition on payloads aliased `p`."""
        return sql.SQL(CONDITION).format(
            old=sql.Literal(self.old), new=sql.Literal(self.new)
        )


@dataclass(frozen=True, slots=True)
class AsOf:
    """The newest log sequence number and receive time a build includes."""

    seq: int
    received_at: datetime | None


def open_window(
    conn: psycopg.Connection, *, name: str = LAKE, everything: bool = False
) -> Window:
    """The next window; call inside the REPEATABLE READ transaction reading it.

    `everything` starts from nothing read, for a rebuild of the whole log.
    """
    conn.execute(ENSURE, {"name": name})
    row = conn.execute(READ, {"name": name}).fetchone()
    assert row is not None
    old, _, _, new = row
    return Window(old=NOTHING_READ if everything else old, new=new)


def window_stats(
    conn: psycopg.Connection, window: Window
) -> tuple[int, int | None, datetime | None]:
    """(payloads, newest seq, newest receive time) of the window."""
    query = sql.SQL(WINDOW_STATS).format(window.condition())
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def advance(
    conn: psycopg.Connection,
    window: Window,
    *,
    seq: int | None,
    received_at: datetime | None,
    name: str = LAKE,
) -> None:
    """Record the window as read, in the transaction that recorded its effects."""
    params = {"name": name, "new": window.new, "seq": seq, "at": received_at}
    conn.execute(ADVANCE, params)


def has_new(conn: psycopg.Connection, *, name: str = LAKE) -> bool:
    """Whether committed payloads wait past the watermark (an index probe)."""
    conn.execute(ENSURE, {"name": name})
    row = conn.execute(HAS_NEW, {"name": name}).fetchone()
    return bool(row and row[0])


def reset(conn: psycopg.Connection, *, name: str = LAKE) -> None:
    """Forget how far the follower read: the next run reads the whole log."""
    conn.execute(ENSURE, {"name": name})
    conn.execute(RESET, {"name": name, "nothing": NOTHING_READ})


def as_of(conn: psycopg.Connection, *, name: str = LAKE) -> AsOf:
    """What the follower has read so far."""
    conn.execute(ENSURE, {"name": name})
    row = conn.execute(READ, {"name": name}).fetchone()
    assert row is not None
    return AsOf(seq=row[1], received_at=row[2])
