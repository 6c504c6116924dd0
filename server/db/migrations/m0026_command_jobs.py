"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Bulk commands run in chunks, one write transaction each: a job's progress is stored
    under its idempotency key in the same transaction as each chunk, so a replay after a
    crash resumes where the last committed chunk ended and never applies a chunk twice.
    The row goes when the job's result is stored in `commands`."""
    db.executescript(
        """
        CREATE TABLE command_jobs (
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            actor TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            chunks INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL
        );
        """
    )
