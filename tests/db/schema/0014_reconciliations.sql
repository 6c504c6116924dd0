-- index reconciliations_reference
CREATE INDEX reconciliations_reference ON reconciliations (reference);

-- table reconciliation_differences
CREATE TABLE reconciliation_differences (
    reconciliation_id INTEGER NOT NULL REFERENCES reconciliations(id),
    position INTEGER NOT NULL,
    customer TEXT NOT NULL,
    sku TEXT NOT NULL,
    customs_record_no TEXT NOT NULL,
    lot TEXT NOT NULL,
    floor_quantity INTEGER NOT NULL,
    oms_quantity INTEGER NOT NULL,
    difference INTEGER NOT NULL,
    kind TEXT NOT NULL
    CHECK (kind IN ('floor_more', 'oms_more', 'missing_on_floor', 'missing_in_oms')),
    PRIMARY KEY (reconciliation_id, position)
    ) WITHOUT ROWID;

-- table reconciliations
CREATE TABLE reconciliations (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers(id),
    as_of_seq INTEGER NOT NULL CHECK (as_of_seq >= 0),
    oms_line_count INTEGER NOT NULL CHECK (oms_line_count >= 0),
    matched INTEGER NOT NULL CHECK (matched >= 0),
    difference_count INTEGER NOT NULL CHECK (difference_count >= 0),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    command_key TEXT NOT NULL
    );

-- trigger reconciliation_differences_no_delete
CREATE TRIGGER reconciliation_differences_no_delete
    BEFORE DELETE ON reconciliation_differences
    BEGIN SELECT RAISE(ABORT, 'reconciliation reports are append-only'); END;

-- trigger reconciliation_differences_no_update
CREATE TRIGGER reconciliation_differences_no_update
    BEFORE UPDATE ON reconciliation_differences
    BEGIN SELECT RAISE(ABORT, 'reconciliation reports are append-only'); END;

-- trigger reconciliations_no_delete
CREATE TRIGGER reconciliations_no_delete BEFORE DELETE ON reconciliations
    BEGIN SELECT RAISE(ABORT, 'reconciliation reports are append-only'); END;

-- trigger reconciliations_no_update
CREATE TRIGGER reconciliations_no_update BEFORE UPDATE ON reconciliations
    BEGIN SELECT RAISE(ABORT, 'reconciliation reports are append-only'); END;

