"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Location and carton labels from the handheld, and the SSCCs the site hands out.

    `print_jobs.kind` takes two more kinds; SQLite cannot change a CHECK in place, so the
    table is rebuilt: the old one is renamed first (its self-reference follows the rename),
    the new one is filled from it, and its indexes are made again under their names.
    """
    db.executescript(
        """
        ALTER TABLE print_jobs RENAME TO print_jobs_before_labels;
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
        INSERT INTO print_jobs SELECT * FROM print_jobs_before_labels;
        DROP TABLE print_jobs_before_labels;
        CREATE INDEX print_jobs_queue ON print_jobs (printer, status, id);
        CREATE INDEX print_jobs_parcel ON print_jobs (parcel_id) WHERE parcel_id IS NOT NULL;
        CREATE INDEX print_jobs_copy ON print_jobs (copy_of) WHERE copy_of IS NOT NULL;
        CREATE INDEX print_jobs_status ON print_jobs (status, created_at);

        -- The last serial reference handed out under each GS1 company prefix: an SSCC is
        -- made from the next one in the same transaction that records it, so none is
        -- ever given twice.
        CREATE TABLE sscc_serials (
            company_prefix TEXT PRIMARY KEY,
            last_serial INTEGER NOT NULL CHECK (last_serial >= 0)
        );

        -- Every SSCC printed on a carton or pallet label, and what it stands for, so a
        -- scan of that label at receiving finds its plan line.
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
        CREATE INDEX carton_labels_plan ON carton_labels (plan_id, line_id);
        """
    )
