-- index print_jobs_copy
CREATE INDEX print_jobs_copy ON print_jobs (copy_of) WHERE copy_of IS NOT NULL;

-- table printer_status
CREATE TABLE printer_status (
    printer TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    since TEXT NOT NULL,
    checked_at TEXT NOT NULL
    );

