"""The SSCC counter after a restore: moved past every SSCC the lost interval could have used.

A restored file goes back to the serial counter it had at the backup; the SSCCs printed
after the backup are on cartons in the warehouse (or at a customer), and the old counter
would give them again. An SSCC has no room for the journal's random epoch, so the counter
jumps instead: past `max(labels.sscc_restore_gap, 2 × the file's busiest day × the days
since the file's last write)`, capped by what is left under the prefix. The "busiest day"
is counted from the file's own `carton_labels`; the "last write" is the newest time the
file records (audit, journal epochs, labels), which is at or before the backup, so the
interval is never under-estimated. When even the estimate does not fit in what is left
under the prefix the site allocates from, the restore is refused: a restore that re-issues
SSCCs would be worse than none.

Runs inside `bondfloor restore`'s own transaction on the staged copy (server/db/restore.py).
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from server import clock

SAFETY_FACTOR = 2
"""The busiest day seen so far is not a bound on tomorrow: twice it is the estimate."""


@dataclass(frozen=True)
class SsccJump:
    prefix: str
    before: int  # the last serial in the backup
    after: int  # the last serial now: the next SSCC is after+1
    needed: int  # what the lost interval could have used, by the file's own rate
    left: int  # serials still free under the prefix after the jump


class SsccJumpShort(Exception):
    """The counter cannot move past what the lost interval could have used."""

    def __init__(self, prefix: str, needed: int, left: int) -> None:
        self.prefix, self.needed, self.left = prefix, needed, left
        super().__init__(prefix)


def _has_sscc_tables(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sscc_serials'"
        ).fetchone()
        is not None
    )


def busiest_day(conn: sqlite3.Connection) -> int:
    """The most SSCCs the file ever allocated on one (UTC) day."""
    row = conn.execute(
        "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM carton_labels "
        "GROUP BY substr(created_at, 1, 10))"
    ).fetchone()
    return int(row[0] or 0)


def last_written(conn: sqlite3.Connection) -> datetime | None:
    """The newest time the file records: the backup was taken at or after it."""
    row = conn.execute(
        "SELECT MAX(t) FROM (SELECT MAX(at) AS t FROM audit "
        "UNION ALL SELECT MAX(started_at) FROM journal_epochs "
        "UNION ALL SELECT MAX(created_at) FROM carton_labels)"
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def lost_interval_estimate(conn: sqlite3.Connection) -> int:
    """How many SSCCs the time since the file's last write could have used."""
    since = last_written(conn)
    if since is None:
        return 0
    days = max(0.0, (clock.now() - since).total_seconds() / 86400)
    return SAFETY_FACTOR * busiest_day(conn) * max(1, math.ceil(days))


def jump_sscc_counters(conn: sqlite3.Connection, prefixes: list[str], gap: int) -> list[SsccJump]:
    """Move every prefix's counter (those in the file, and `prefixes` from the settings,
    which the lost interval may have begun) past the lost interval. All or nothing: raises
    `SsccJumpShort` before changing anything when a prefix in use (`prefixes`) cannot move
    far enough; one the site no longer allocates from only moves as far as it can."""
    if not _has_sscc_tables(conn):
        return []
    known = dict(conn.execute("SELECT company_prefix, last_serial FROM sscc_serials").fetchall())
    needed = lost_interval_estimate(conn)
    plan = []
    for prefix in sorted(set(known) | {p for p in prefixes if p}):
        before = int(known.get(prefix, 0))
        most = 10 ** (16 - len(prefix)) - 1
        free = most - before
        if needed > free and prefix in prefixes:
            raise SsccJumpShort(prefix, needed, free)
        after = before + min(max(gap, needed), free)
        plan.append(SsccJump(prefix, before, after, needed, most - after))
    for jump in plan:
        conn.execute(
            "INSERT INTO sscc_serials (company_prefix, last_serial) VALUES (?, ?) "
            "ON CONFLICT (company_prefix) DO UPDATE SET last_serial = excluded.last_serial",
            (jump.prefix, jump.after),
        )
    return plan
