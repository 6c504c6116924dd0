"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """What each printer last said about itself, and since when."""
    db.executescript(
        """
        CREATE TABLE printer_status (
            printer TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            since TEXT NOT NULL,
            checked_at TEXT NOT NULL
        );
        CREATE INDEX print_jobs_copy ON print_jobs (copy_of) WHERE copy_of IS NOT NULL;
        """
    )
