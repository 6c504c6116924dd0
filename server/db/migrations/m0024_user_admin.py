"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """What the admin page shows and keeps: a user's language ('' = the handheld's own
    choice), last login and masked badge; an API token's last use.

    Badges set before are kept as their hash only, so their mask is '' (shown as set)."""
    db.executescript(
        """
        ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN last_login_at TEXT;
        ALTER TABLE users ADD COLUMN badge_mask TEXT NOT NULL DEFAULT '';
        ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
        UPDATE users SET last_login_at = (SELECT max(created_at) FROM sessions
            WHERE sessions.user_id = users.id);
        """
    )
