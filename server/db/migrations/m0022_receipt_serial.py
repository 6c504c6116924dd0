"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """A receiving scan keeps the item's GS1 serial (AI 21), '' when it carried none."""
    db.executescript(
        """
        ALTER TABLE receipt_scans ADD COLUMN serial TEXT NOT NULL DEFAULT '';
        """
    )
