"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """An alert says what holds as a message code with parameters, so the handheld can say
    it in the reader's language and the site's time zone. Alerts stored before have code ''
    and are shown by their English message."""
    db.executescript(
        """
        ALTER TABLE alerts ADD COLUMN code TEXT NOT NULL DEFAULT '';
        ALTER TABLE alerts ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
        """
    )
