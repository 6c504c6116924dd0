"""Journal epochs: why an event's key to the OMS is never handed out twice.

An event's key is `site:epoch:seq`. `seq` alone is not enough: a backup restored, or a
file copied by hand, goes back to an earlier `seq` and would number its new events like
events the OMS already holds. So every process that writes the database first begins an
epoch of its own, a random id no other copy of the file can have, and every event it
appends carries it. Nothing has to notice that the file is a copy: a copy, too, gets a
new epoch before its first event. `bondfloor restore` begins one as well, and says so.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from server import clock

REASONS = ("open", "restore")


def has_journal_epochs(conn: sqlite3.Connection) -> bool:
    """False on a file without the migration (not yet migrated, or not ours)."""
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'journal_epochs'"
        ).fetchone()
        is not None
    )


def last_event_seq(conn: sqlite3.Connection) -> int:
    """The highest seq ever handed out (AUTOINCREMENT keeps it even for a removed row)."""
    row = conn.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0), "
        "COALESCE((SELECT MAX(seq) FROM events), 0))"
    ).fetchone()
    return int(row[0])


def begin_epoch(conn: sqlite3.Connection, reason: str = "open", detail: str = "") -> str:
    """Start a new epoch inside the caller's write transaction; returns its id.

    48 random bits: the same id twice on one site is about as likely as a lost scan being
    found in a cosmic ray."""
    if reason not in REASONS:
        raise ValueError(f"reason is one of {', '.join(REASONS)}")
    epoch = secrets.token_hex(6)
    conn.execute(
        "INSERT INTO journal_epochs (epoch, after_seq, reason, detail, started_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            epoch,
            last_event_seq(conn),
            reason,
            detail,
            clock.stamp(),
        ),
    )
    return epoch


CURRENT_EPOCH_SQL = "COALESCE((SELECT epoch FROM journal_epochs ORDER BY id DESC LIMIT 1), '')"
"""The epoch a new event is written in: the last one begun."""


def epoch_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """The current epoch and the last restore, for the sync status and `/health`."""
    if not has_journal_epochs(conn):
        return {"epoch": None, "last_restore": None}
    current = conn.execute(
        "SELECT epoch, after_seq, reason, started_at FROM journal_epochs ORDER BY id DESC LIMIT 1"
    ).fetchone()
    # Without the backup's path (`detail`): `/health` answers anyone.
    restore = conn.execute(
        "SELECT epoch, after_seq, started_at FROM journal_epochs WHERE reason = 'restore' "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return {
        "epoch": None
        if current is None
        else {
            "id": current["epoch"],
            "after_seq": current["after_seq"],
            "reason": current["reason"],
            "started_at": current["started_at"],
        },
        "last_restore": None
        if restore is None
        else {
            "at": restore["started_at"],
            "epoch": restore["epoch"],
            "after_seq": restore["after_seq"],
        },
    }
