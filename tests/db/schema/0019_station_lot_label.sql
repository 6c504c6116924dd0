-- table station_state
CREATE TABLE station_state (
    station TEXT PRIMARY KEY,
    user_code TEXT,
    order_id INTEGER REFERENCES orders (id),
    agent_seen_at TEXT,
    agent_version TEXT NOT NULL DEFAULT '',
    devices TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
    , lot_wanted_for TEXT NOT NULL DEFAULT '');

