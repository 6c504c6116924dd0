-- table events
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    payload TEXT NOT NULL,
    command_key TEXT NOT NULL
    , epoch TEXT NOT NULL DEFAULT '');

-- table journal_epochs
CREATE TABLE journal_epochs (
    id INTEGER PRIMARY KEY,
    epoch TEXT NOT NULL UNIQUE CHECK (epoch != ''),
    after_seq INTEGER NOT NULL CHECK (after_seq >= 0),
    reason TEXT NOT NULL CHECK (reason IN ('open', 'restore')),
    detail TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL
    );

