"""A site's database made by the release before migrations became a package (commit 3b468bb,
demo warehouse seeded; tests/db/fixtures/) upgrades to the schema a new database gets,
keeps its data and its record of what it applied, and gains only 0025_alert_indexes."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from server.db import Database
from server.db.migrations import applied_migrations
from tests.db.schema_snapshots import new_database_schema, normalised_schema

RELEASE_DUMP = Path(__file__).parent / "fixtures" / "release-3b468bb.sql.gz"
INDEXES_ADDED_TO_0017_AFTER_IT_SHIPPED = ("loading_list_parcels_loaded", "print_jobs_status")


def release_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(gzip.decompress(RELEASE_DUMP.read_bytes()).decode())
    finally:
        conn.close()


def migrate(path: Path) -> list[str]:
    database = Database(path)
    try:
        return database.migrate()
    finally:
        database.close()


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != '_sqlite_migrations'"
        )
    ]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def index_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_a_release_database_upgrades_to_the_schema_of_a_new_one_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "site.db"
    release_database(path)
    with sqlite3.connect(path) as conn:
        recorded = applied_migrations(conn)
        counts = row_counts(conn)
    conn.close()
    assert counts["movements"] > 0 and counts["orders"] > 0  # the demo day is in it
    # The release applied 0015_counts after 0017_alerts; that record stays as it is.
    assert recorded.index("0015_counts") > recorded.index("0017_alerts")

    new = ["0025_alert_indexes", "0026_command_jobs", "0027_labels_and_sscc", "0028_billing"]
    assert migrate(path) == new

    with sqlite3.connect(path) as conn:
        assert applied_migrations(conn) == [*recorded, *new]
        assert normalised_schema(conn) == new_database_schema()
        billing = {t: 0 for t in BILLING_TABLES}  # the tables 0028 adds
        # the tables 0026 and 0027 add, then 0028's
        assert row_counts(conn) == {
            **counts,
            "command_jobs": 0,
            "sscc_serials": 0,
            "carton_labels": 0,
            **billing,
        }
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert migrate(path) == []


BILLING_TABLES = (
    "billing_tariffs",
    "billing_tariff_rates",
    "billing_services",
    "billing_periods",
    "billing_statements",
    "billing_statement_lines",
    "billing_line_sources",
    "billing_credits",
)


def test_a_site_that_applied_0017_before_its_two_indexes_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    release_database(path)
    with sqlite3.connect(path) as conn:
        for name in INDEXES_ADDED_TO_0017_AFTER_IT_SHIPPED:
            conn.execute(f"DROP INDEX {name}")  # 0017_alerts as it first shipped
    conn.close()

    assert "0025_alert_indexes" in migrate(path)

    with sqlite3.connect(path) as conn:
        assert set(INDEXES_ADDED_TO_0017_AFTER_IT_SHIPPED) <= index_names(conn)
        assert normalised_schema(conn) == new_database_schema()
    conn.close()
