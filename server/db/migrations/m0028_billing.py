"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Billing the cargo owners: versioned tariffs, value-added services done on the floor,
    periods, closed statements with their lines and each line's sources, and credits.

    SKUs had only a weight: storage by volume and by pallet needs their dimensions (mm) and
    how many units make a pallet; NULL means unknown (such a SKU is billed no m³ or
    pallet storage). Movements get a (customer, at) index: the storage snapshot walks one
    customer's movements of a period."""
    db.executescript(
        """
        ALTER TABLE skus ADD COLUMN length_mm INTEGER CHECK (length_mm IS NULL OR length_mm > 0);
        ALTER TABLE skus ADD COLUMN width_mm INTEGER CHECK (width_mm IS NULL OR width_mm > 0);
        ALTER TABLE skus ADD COLUMN height_mm INTEGER CHECK (height_mm IS NULL OR height_mm > 0);
        ALTER TABLE skus ADD COLUMN units_per_pallet INTEGER
            CHECK (units_per_pallet IS NULL OR units_per_pallet > 0);
        CREATE INDEX movements_customer_at ON movements (customer_id, at);

        -- One version of a tariff: the site default (customer_id NULL) or a customer's,
        -- in force from effective_from (a site day) until the next version starts.
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
        CREATE UNIQUE INDEX billing_tariffs_version
            ON billing_tariffs (COALESCE(customer_id, 0), effective_from);
        CREATE TABLE billing_tariff_rates (
            tariff_id INTEGER NOT NULL REFERENCES billing_tariffs(id),
            charge_code TEXT NOT NULL,
            unit TEXT NOT NULL,
            rate_fen INTEGER NOT NULL CHECK (rate_fen >= 0),
            PRIMARY KEY (tariff_id, charge_code)
        ) WITHOUT ROWID;

        -- A value-added service done for a customer (labelling, kitting, photos).
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
        CREATE INDEX billing_services_customer_at ON billing_services (customer_id, done_at);

        -- A month of the site's calendar, YYYY-MM; no row is an open period never closed.
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

        -- What a close froze. A re-open supersedes a period's statements; they stay.
        -- 'closing': being stored by a close under way, seen by no read until it ends.
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
        CREATE TABLE billing_line_sources (
            line_id INTEGER NOT NULL REFERENCES billing_statement_lines(id),
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            PRIMARY KEY (line_id, kind, ref)
        ) WITHOUT ROWID;
        CREATE INDEX billing_line_sources_ref ON billing_line_sources (kind, ref);
        CREATE TRIGGER billing_statement_lines_no_update BEFORE UPDATE ON billing_statement_lines
            BEGIN SELECT RAISE(ABORT, 'a closed statement is never edited'); END;
        -- Only the lines of a close given up (taken over by a newer one) are ever deleted.
        CREATE TRIGGER billing_statement_lines_no_delete BEFORE DELETE ON billing_statement_lines
            WHEN (SELECT state FROM billing_statements WHERE id = OLD.statement_id)
                IS NOT 'closing'
            BEGIN SELECT RAISE(ABORT, 'a closed statement is never edited'); END;

        -- A disputed line credited on the customer's statement of apply_period.
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
        CREATE INDEX billing_credits_apply ON billing_credits (customer_id, apply_period);
        """
    )
