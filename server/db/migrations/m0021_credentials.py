"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import hashlib

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Badges become credentials, locks expire, sessions can be listed, idle and capped.

    A badge is kept as its SHA-256 only (badges are long and random, so a fast hash is
    enough; PINs keep scrypt). Badges already stored, and badge codes already written to
    station scans, their stored results and audit lines, are hashed or masked here.
    """
    conn = db.conn
    conn.create_function("badge_digest", 1, _badge_digest, deterministic=True)
    db.executescript(
        """
        ALTER TABLE users ADD COLUMN badge_hash TEXT;
        ALTER TABLE users ADD COLUMN locked_until TEXT;
        ALTER TABLE users ADD COLUMN last_failed_at TEXT;
        CREATE UNIQUE INDEX users_badge_hash ON users (badge_hash) WHERE badge_hash IS NOT NULL;
        -- The plain badge column stays (SQLite cannot drop a UNIQUE column) but is emptied.
        UPDATE users SET badge_hash = badge_digest(badge), badge = NULL WHERE badge IS NOT NULL;
        ALTER TABLE sessions ADD COLUMN public_id TEXT;
        ALTER TABLE sessions ADD COLUMN last_used_at TEXT;
        ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
        UPDATE sessions SET public_id = lower(hex(randomblob(8))), last_used_at = created_at;
        CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);
        CREATE INDEX sessions_user ON sessions (user_id, ended_at);
        UPDATE station_scans SET code = '****' || substr(code, -2) WHERE action = 'sign_in';
        UPDATE commands SET result = json_set(result, '$.code', '****' || substr(
                json_extract(result, '$.code'), -2))
            WHERE name = 'station.scan' AND json_valid(result)
                AND json_extract(result, '$.action') = 'sign_in';
        -- The audit log is append-only, but a credential must not stay in it: the one
        -- scrub it ever gets, with its guard put back at once.
        DROP TRIGGER audit_no_update;
        UPDATE audit SET details = json_set(details, '$.scanned', '****' || substr(
                json_extract(details, '$.scanned'), -2))
            WHERE action = 'station.sign_in' AND json_valid(details)
                AND json_extract(details, '$.scanned') IS NOT NULL;
        UPDATE audit SET target = 'badge:****' || substr(target, -2)
            WHERE action = 'login' AND target LIKE 'badge:%';
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """
    )


def _badge_digest(badge: str | None) -> str | None:
    # The same digest as server.auth.service.hash_badge (migrations do not import services).
    return None if badge is None else hashlib.sha256(badge.encode()).hexdigest()
