"""What each shipped migration does to the schema, as checked-in text
(tests/db/schema/NNNN_name.sql): the objects it adds or changes, each as SQLite stores it,
and the ones it drops, against the schema the migrations before it made on a new database.

`python -m tests.db.schema_snapshots` writes the snapshot of a new migration. It never
rewrites one that exists: a shipped migration's schema does not change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from server.db.migrations import migrations

SNAPSHOTS = Path(__file__).parent / "schema"


def schema_objects(conn: sqlite3.Connection) -> dict[str, str]:
    """'type name' -> its SQL, lines stripped of their indentation (a migration moved to
    another file keeps its schema). sqlite-utils' own table and the implicit indexes of
    UNIQUE and PRIMARY KEY (already in their table's text) are left out."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "AND tbl_name != '_sqlite_migrations'"
    ).fetchall()
    return {
        f"{kind} {name}": "\n    ".join(line.strip() for line in sql.splitlines() if line.strip())
        for kind, name, sql in rows
    }


def normalised_schema(conn: sqlite3.Connection) -> str:
    """The whole schema as text, by type and name."""
    objects = schema_objects(conn)
    return "".join(f"-- {key}\n{objects[key]};\n\n" for key in sorted(objects))


def new_database_schema() -> str:
    """The whole schema every migration makes on a new database."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrations.apply(sqlite_utils.Database(conn, execute_plugins=False))
        return normalised_schema(conn)
    finally:
        conn.close()


def schema_change(before: dict[str, str], after: dict[str, str]) -> str:
    added_or_changed = [key for key in sorted(after) if before.get(key) != after[key]]
    dropped = [key for key in sorted(before) if key not in after]
    text = "".join(f"-- {key}\n{after[key]};\n\n" for key in added_or_changed)
    text += "".join(f"-- dropped {key}\n" for key in dropped)
    return text or "-- no change to the schema of a new database\n"


def change_of_each_migration() -> Iterator[tuple[str, str]]:
    """(migration name, what it did to the schema) for every migration, on a new database."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    db = sqlite_utils.Database(conn, execute_plugins=False)
    names = [m.name for m in migrations._migrations]
    before: dict[str, str] = {}
    try:
        for name, following in zip(names, [*names[1:], None], strict=True):
            migrations.apply(db, stop_before=following)
            after = schema_objects(conn)
            yield name, schema_change(before, after)
            before = after
    finally:
        conn.close()


def snapshot_path(name: str) -> Path:
    return SNAPSHOTS / f"{name}.sql"


def write_missing_snapshots() -> list[Path]:
    written = []
    for name, change in change_of_each_migration():
        path = snapshot_path(name)
        if not path.exists():
            path.write_text(change, encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for path in write_missing_snapshots():
        print(f"wrote {path}")
