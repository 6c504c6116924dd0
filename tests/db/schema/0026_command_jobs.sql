-- table command_jobs
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

