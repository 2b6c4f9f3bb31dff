"""How far the pipeline has read the log: a transaction horizon.

The rule (also in migrations/0010_pipeline.sql): a run takes one snapshot and
reads the payloads whose txid lies in [horizon, xmin), where xmin is
pg_snapshot_xmin of that snapshot. Every transaction below xmin has ended, so
no row of that window can still appear; rows of transactions still running
(whatever their sequence numbers) wait for a later window. Moving the horizon
to xmin after the window is processed reads each committed payload once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

LAKE = "lake"

ENSURE = """
INSERT INTO pipeline_watermarks (name) VALUES (%(name)s)
ON CONFLICT (name) DO NOTHING
"""
READ = """
SELECT txid_horizon::text, last_seq, last_received_at,
       pg_snapshot_xmin(pg_current_snapshot())::text
FROM pipeline_watermarks WHERE name = %(name)s
"""
# The window's payloads, found through the payloads_txid index.
WINDOW_STATS = """
SELECT count(*), max(seq), max(received_at) FROM payloads
WHERE txid >= %(lo)s::xid8 AND txid < %(hi)s::xid8
"""
HAS_NEW = """
SELECT EXISTS (
    SELECT 1 FROM payloads w, pipeline_watermarks m
    WHERE m.name = %(name)s AND w.txid >= m.txid_horizon
      AND w.txid < pg_snapshot_xmin(pg_current_snapshot())
)
"""
ADVANCE = """
UPDATE pipeline_watermarks
SET txid_horizon = %(hi)s::xid8,
    last_seq = greatest(last_seq, coalesce(%(seq)s, 0)),
    last_received_at = CASE
        WHEN last_received_at IS NULL OR %(at)s > last_received_at THEN %(at)s
        ELSE last_received_at END,
    updated_at = now()
WHERE name = %(name)s
"""
RESET = """
UPDATE pipeline_watermarks
SET txid_horizon = '0', last_seq = 0, last_received_at = NULL, updated_at = now()
WHERE name = %(name)s
"""


@dataclass(frozen=True, slots=True)
class Window:
    """The payloads one run reads: txid in [lo, hi)."""

    lo: str
    hi: str
    last_seq: int
    last_received_at: datetime | None

    @property
    def is_empty(self) -> bool:
        return self.lo == self.hi


@dataclass(frozen=True, slots=True)
class AsOf:
    """The newest log sequence number and receive time a build includes."""

    seq: int
    received_at: datetime | None


def open_window(conn: psycopg.Connection, *, name: str = LAKE) -> Window:
    """The next window to read; call inside the transaction that reads it."""
    conn.execute(ENSURE, {"name": name})
    row = conn.execute(READ, {"name": name}).fetchone()
    assert row is not None
    lo, seq, at, xmin = row
    # xmin never moves backwards, but a horizon set by an older server after a
    # restore could be ahead of it: never read a window upside down.
    hi = xmin if int(xmin) >= int(lo) else lo
    return Window(lo=lo, hi=hi, last_seq=seq, last_received_at=at)


def window_stats(
    conn: psycopg.Connection, window: Window
) -> tuple[int, int | None, datetime | None]:
    """(payloads, newest seq, newest receive time) of the window."""
    row = conn.execute(WINDOW_STATS, {"lo": window.lo, "hi": window.hi}).fetchone()
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
    """Record the window as read (in the transaction that recorded its effects)."""
    params = {"name": name, "hi": window.hi, "seq": seq, "at": received_at}
    conn.execute(ADVANCE, params)


def has_new(conn: psycopg.Connection, *, name: str = LAKE) -> bool:
    """Whether committed payloads wait past the watermark (cheap: an index probe)."""
    conn.execute(ENSURE, {"name": name})
    row = conn.execute(HAS_NEW, {"name": name}).fetchone()
    return bool(row and row[0])


def reset(conn: psycopg.Connection, *, name: str = LAKE) -> None:
    """Forget how far the follower read: the next run reads the whole log."""
    conn.execute(ENSURE, {"name": name})
    conn.execute(RESET, {"name": name})


def as_of(conn: psycopg.Connection, *, name: str = LAKE) -> AsOf:
    """What the follower has read so far."""
    conn.execute(ENSURE, {"name": name})
    row = conn.execute(READ, {"name": name}).fetchone()
    assert row is not None
    return AsOf(seq=row[1], received_at=row[2])
