-- table station_scans
CREATE TABLE station_scans (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL,
    scan_key TEXT NOT NULL,
    scanner TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    symbology TEXT NOT NULL DEFAULT '',
    scanned_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    user_code TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
    error_code TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    effect TEXT NOT NULL DEFAULT '{}',
    UNIQUE (station, scan_key)
    );

-- table station_state
CREATE TABLE station_state (
    station TEXT PRIMARY KEY,
    user_code TEXT,
    order_id INTEGER REFERENCES orders (id),
    agent_seen_at TEXT,
    agent_version TEXT NOT NULL DEFAULT '',
    devices TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
    );

