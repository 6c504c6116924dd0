-- index billing_credits_apply
CREATE INDEX billing_credits_apply ON billing_credits (customer_id, apply_period);

-- index billing_line_sources_ref
CREATE INDEX billing_line_sources_ref ON billing_line_sources (kind, ref);

-- index billing_services_customer_at
CREATE INDEX billing_services_customer_at ON billing_services (customer_id, done_at);

-- index billing_tariffs_version
CREATE UNIQUE INDEX billing_tariffs_version
    ON billing_tariffs (COALESCE(customer_id, 0), effective_from);

-- index movements_customer_at
CREATE INDEX movements_customer_at ON movements (customer_id, at);

-- table billing_credits
CREATE TABLE billing_credits (
    id INTEGER PRIMARY KEY,
    line_id INTEGER NOT NULL REFERENCES billing_statement_lines(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    apply_period TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
    );

-- table billing_line_sources
CREATE TABLE billing_line_sources (
    line_id INTEGER NOT NULL REFERENCES billing_statement_lines(id),
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    PRIMARY KEY (line_id, kind, ref)
    ) WITHOUT ROWID;

-- table billing_periods
CREATE TABLE billing_periods (
    period TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    -- The Idempotency-Key of the close under way (it stores the statements in
    -- chunks); NULL when none is. A newer close takes the period over.
    closing_key TEXT
    );

-- table billing_services
CREATE TABLE billing_services (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    charge_code TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    document TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    done_by TEXT NOT NULL,
    done_at TEXT NOT NULL,
    command_key TEXT NOT NULL
    );

-- table billing_statement_lines
CREATE TABLE billing_statement_lines (
    id INTEGER PRIMARY KEY,
    statement_id INTEGER NOT NULL REFERENCES billing_statements(id),
    line_no INTEGER NOT NULL,
    day TEXT NOT NULL,
    category TEXT NOT NULL,
    charge_code TEXT NOT NULL,
    unit TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    rate_fen INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (statement_id, line_no)
    );

-- table billing_statements
CREATE TABLE billing_statements (
    id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    version INTEGER NOT NULL CHECK (version > 0),
    state TEXT NOT NULL CHECK (state IN ('closing', 'closed', 'superseded')),
    charges_fen INTEGER NOT NULL,
    minimum_fen INTEGER NOT NULL,
    credits_fen INTEGER NOT NULL,
    total_fen INTEGER NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at TEXT NOT NULL,
    UNIQUE (period, customer_id, version)
    );

-- table billing_tariff_rates
CREATE TABLE billing_tariff_rates (
    tariff_id INTEGER NOT NULL REFERENCES billing_tariffs(id),
    charge_code TEXT NOT NULL,
    unit TEXT NOT NULL,
    rate_fen INTEGER NOT NULL CHECK (rate_fen >= 0),
    PRIMARY KEY (tariff_id, charge_code)
    ) WITHOUT ROWID;

-- table billing_tariffs
CREATE TABLE billing_tariffs (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers(id),
    effective_from TEXT NOT NULL,
    minimum_fen INTEGER NOT NULL DEFAULT 0 CHECK (minimum_fen >= 0),
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    command_key TEXT NOT NULL
    );

-- table skus
CREATE TABLE skus (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT 'EA',
    weight_g INTEGER CHECK (weight_g IS NULL OR weight_g >= 0),
    customs_record_no TEXT NOT NULL DEFAULT '',
    hs_code TEXT NOT NULL DEFAULT '',
    lot_tracked INTEGER NOT NULL DEFAULT 0,
    expiry_tracked INTEGER NOT NULL DEFAULT 0,
    shelf_life_days INTEGER CHECK (shelf_life_days IS NULL OR shelf_life_days > 0),
    active INTEGER NOT NULL DEFAULT 1, length_mm INTEGER CHECK (length_mm IS NULL OR length_mm > 0), width_mm INTEGER CHECK (width_mm IS NULL OR width_mm > 0), height_mm INTEGER CHECK (height_mm IS NULL OR height_mm > 0), units_per_pallet INTEGER
    CHECK (units_per_pallet IS NULL OR units_per_pallet > 0),
    UNIQUE (customer_id, code)
    );

-- trigger billing_statement_lines_no_delete
CREATE TRIGGER billing_statement_lines_no_delete BEFORE DELETE ON billing_statement_lines
    WHEN (SELECT state FROM billing_statements WHERE id = OLD.statement_id)
    IS NOT 'closing'
    BEGIN SELECT RAISE(ABORT, 'a closed statement is never edited'); END;

-- trigger billing_statement_lines_no_update
CREATE TRIGGER billing_statement_lines_no_update BEFORE UPDATE ON billing_statement_lines
    BEGIN SELECT RAISE(ABORT, 'a closed statement is never edited'); END;

