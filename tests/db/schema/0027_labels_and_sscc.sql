-- index carton_labels_plan
CREATE INDEX carton_labels_plan ON carton_labels (plan_id, line_id);

-- table carton_labels
CREATE TABLE carton_labels (
    id INTEGER PRIMARY KEY,
    sscc TEXT NOT NULL UNIQUE CHECK (length(sscc) = 18),
    plan_id INTEGER NOT NULL REFERENCES delivery_plans(id),
    line_id INTEGER NOT NULL REFERENCES plan_lines(id),
    unit TEXT NOT NULL CHECK (unit IN ('carton', 'pallet')),
    count INTEGER NOT NULL CHECK (count >= 0),  -- 0: the label states no count
    gtin TEXT NOT NULL DEFAULT '',
    lot TEXT NOT NULL DEFAULT '',
    expiry TEXT NOT NULL DEFAULT '',
    print_job_id INTEGER NOT NULL REFERENCES print_jobs(id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
    );

-- table print_jobs
CREATE TABLE print_jobs (
    id INTEGER PRIMARY KEY,
    printer TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (
    kind IN ('face_sheet', 'test', 'handover', 'location_label', 'carton_label')
    ),
    parcel_id INTEGER REFERENCES parcels(id),
    payload TEXT NOT NULL,
    copy_of INTEGER REFERENCES print_jobs(id),
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'sending', 'done', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    next_attempt_at TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_at TEXT
    );

-- table sscc_serials
CREATE TABLE sscc_serials (
    company_prefix TEXT PRIMARY KEY,
    last_serial INTEGER NOT NULL CHECK (last_serial >= 0)
    );

