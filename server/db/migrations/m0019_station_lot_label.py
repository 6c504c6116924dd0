"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """A pack bench's fixed scanner reads one code at a time: the item scan of a
    lot-tracked SKU that came without its lot waits here for the lot label's scan."""
    db.executescript(
        """
        ALTER TABLE station_state ADD COLUMN lot_wanted_for TEXT NOT NULL DEFAULT '';
        """
    )
