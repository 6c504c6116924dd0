"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """The two indexes 0017_alerts gained after it shipped: a site that had applied 0017
    before then never got them. A database that has them keeps them as they are."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS loading_list_parcels_loaded ON loading_list_parcels (loaded_at)
            WHERE loaded_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS print_jobs_status ON print_jobs (status, created_at);
        """
    )
