-- index count_proposals_status
CREATE INDEX count_proposals_status ON count_proposals (status, id);

-- index count_proposals_task
CREATE INDEX count_proposals_task ON count_proposals (task_id);

-- index count_tasks_location
CREATE INDEX count_tasks_location ON count_tasks (location_id, status);

-- index count_tasks_one_counting
CREATE UNIQUE INDEX count_tasks_one_counting ON count_tasks (location_id)
    WHERE status = 'counting';

-- index count_tasks_status
CREATE INDEX count_tasks_status ON count_tasks (status, id);

-- table count_lines
CREATE TABLE count_lines (
    task_id INTEGER NOT NULL REFERENCES count_tasks(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    lot TEXT NOT NULL DEFAULT '',
    expiry TEXT NOT NULL DEFAULT '',
    expected INTEGER NOT NULL CHECK (expected >= 0),
    counted INTEGER CHECK (counted >= 0),
    counted_at TEXT,
    PRIMARY KEY (task_id, customer_id, sku_id, lot, expiry)
    ) WITHOUT ROWID;

-- table count_proposals
CREATE TABLE count_proposals (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES count_tasks(id),
    location_id INTEGER NOT NULL REFERENCES locations(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    lot TEXT NOT NULL DEFAULT '',
    expiry TEXT NOT NULL DEFAULT '',
    expected INTEGER NOT NULL CHECK (expected >= 0),
    counted INTEGER NOT NULL CHECK (counted >= 0),
    delta INTEGER NOT NULL CHECK (delta != 0),
    status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'approved', 'rejected')),
    reason TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at TEXT,
    movement_id INTEGER REFERENCES movements(id),
    created_at TEXT NOT NULL
    );

-- table count_tasks
CREATE TABLE count_tasks (
    id INTEGER PRIMARY KEY,
    location_id INTEGER NOT NULL REFERENCES locations(id),
    status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'counting', 'submitted', 'cancelled')),
    origin TEXT NOT NULL
    CHECK (origin IN ('location', 'zone', 'sku', 'abc', 'schedule', 'scan', 'recount')),
    recount_of INTEGER REFERENCES count_tasks(id),
    outcome TEXT NOT NULL DEFAULT ''
    CHECK (outcome IN ('', 'recount', 'proposals', 'no_difference', 'cancelled')),
    counter TEXT NOT NULL DEFAULT '',
    avoid_counter TEXT NOT NULL DEFAULT '',
    snapshot_movement_id INTEGER,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    submitted_at TEXT
    );

