"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite3

import sqlite_utils

# It runs its own transaction around the table rebuild (foreign keys go off outside one).
TRANSACTIONAL = False

LOCATION_TYPES = (
    "dock",
    "staging",
    "storage",
    "pick_face",
    "pack_station",
    "quarantine",
    "inspection",
    "outbound_lane",
)
OUTBOUND_LOCATION_TYPES = ("tote", "parcel")


def migrate(db: sqlite_utils.Database) -> None:
    """Widen the location types by rebuilding the table (SQLite cannot alter a CHECK).

    SQLite's documented rebuild: foreign keys off, copy into a new table, drop, rename,
    check the keys, all in one transaction. Safe to run again after a crash.
    """
    conn = db.conn
    schema = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'locations'").fetchone()[0]
    if "'tote'" in schema:
        return
    types = ", ".join(f"'{t}'" for t in LOCATION_TYPES + OUTBOUND_LOCATION_TYPES)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA legacy_alter_table = ON")  # keep other tables' references as written
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in (
                f"""
                CREATE TABLE locations_new (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL UNIQUE,
                    zone TEXT NOT NULL,
                    type TEXT NOT NULL CHECK (type IN ({types})),
                    pick_sequence INTEGER NOT NULL DEFAULT 0,
                    capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
                    customer_id INTEGER REFERENCES customers(id),
                    active INTEGER NOT NULL DEFAULT 1
                )""",
                "INSERT INTO locations_new SELECT id, code, zone, type, pick_sequence, capacity, "
                "customer_id, active FROM locations",
                "DROP TABLE locations",
                "ALTER TABLE locations_new RENAME TO locations",
                "CREATE INDEX locations_zone ON locations (zone, pick_sequence)",
                "CREATE INDEX locations_owner_sequence ON locations (customer_id, pick_sequence)",
            ):
                conn.execute(statement)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise sqlite3.IntegrityError(f"foreign keys broken by the rebuild: {broken[:5]}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
        conn.execute("PRAGMA foreign_keys = ON")
