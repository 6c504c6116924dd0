-- table api_tokens
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('station', 'oms')),
    token_hash TEXT NOT NULL UNIQUE,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
    , last_used_at TEXT);

-- table users
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    badge TEXT UNIQUE,
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
    , badge_hash TEXT, locked_until TEXT, last_failed_at TEXT, language TEXT NOT NULL DEFAULT '', last_login_at TEXT, badge_mask TEXT NOT NULL DEFAULT '');

