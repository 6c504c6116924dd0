-- index allocations_line
CREATE INDEX allocations_line ON allocations (line_id);

-- index order_tasks_order
CREATE INDEX order_tasks_order ON order_tasks (order_id);

-- index pick_shortages_open
CREATE INDEX pick_shortages_open ON pick_shortages (location_id, sku_id)
    WHERE resolved_at IS NULL;

-- index print_jobs_parcel
CREATE INDEX print_jobs_parcel ON print_jobs (parcel_id) WHERE parcel_id IS NOT NULL;

-- table order_tasks
CREATE TABLE order_tasks (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL CHECK (kind IN ('return_to_stock', 'to_inspection')),
    source_location_id INTEGER REFERENCES locations(id),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    target_location_id INTEGER REFERENCES locations(id),
    created_at TEXT NOT NULL,
    done_by TEXT NOT NULL DEFAULT '',
    done_at TEXT
    , outcome TEXT NOT NULL DEFAULT '');

-- table pick_shortages
CREATE TABLE pick_shortages (
    id INTEGER PRIMARY KEY,
    location_id INTEGER NOT NULL REFERENCES locations(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    lot TEXT NOT NULL DEFAULT '',
    expiry TEXT NOT NULL DEFAULT '',
    missing INTEGER NOT NULL CHECK (missing > 0),
    order_id INTEGER NOT NULL REFERENCES orders(id),
    reason TEXT NOT NULL DEFAULT '',
    reported_by TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    resolved_by TEXT NOT NULL DEFAULT '',
    resolved_at TEXT,
    resolution TEXT NOT NULL DEFAULT ''
    );

