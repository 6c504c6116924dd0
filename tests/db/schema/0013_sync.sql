-- table sync_cursor
CREATE TABLE sync_cursor (
    stream TEXT PRIMARY KEY,
    delivered_seq INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    stopped_seq INTEGER,
    stopped_error TEXT NOT NULL DEFAULT '',
    last_ok_at TEXT,
    updated_at TEXT NOT NULL
    );

-- table sync_skips
CREATE TABLE sync_skips (
    id INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    error TEXT NOT NULL,
    reason TEXT NOT NULL,
    skipped_by TEXT NOT NULL,
    at TEXT NOT NULL
    );

