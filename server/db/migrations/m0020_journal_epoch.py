"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Every event is written in a journal epoch, part of its key to the OMS.

    A restored or copied file shares its past with the original; the epoch each process
    begins before it writes (server/db/journal_epoch.py) is what keeps their futures apart.
    Events written before this migration keep epoch '' and their old `site:seq` keys.
    """
    db.executescript(
        """
        CREATE TABLE journal_epochs (
            id INTEGER PRIMARY KEY,
            epoch TEXT NOT NULL UNIQUE CHECK (epoch != ''),
            after_seq INTEGER NOT NULL CHECK (after_seq >= 0),
            reason TEXT NOT NULL CHECK (reason IN ('open', 'restore')),
            detail TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL
        );
        ALTER TABLE events ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
        """
    )
