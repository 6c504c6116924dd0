-- index sessions_public_id
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);

-- index sessions_user
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

-- index users_badge_hash
CREATE UNIQUE INDEX users_badge_hash ON users (badge_hash) WHERE badge_hash IS NOT NULL;

-- table sessions
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    device TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
    , public_id TEXT, last_used_at TEXT, address TEXT NOT NULL DEFAULT '');

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
    , badge_hash TEXT, locked_until TEXT, last_failed_at TEXT);

