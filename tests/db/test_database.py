"""The storage rules: durable pragmas, one serialising writer, named migrations, backup."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlite_utils

from server.db import Database
from server.db.database import connect
from server.db.migrations import apply_migrations, migrations


def test_connections_are_wal_full_sync_with_foreign_keys(db: Database) -> None:
    pragmas = db.read(
        lambda conn: [
            conn.execute(f"PRAGMA {p}").fetchone()[0]
            for p in ("journal_mode", "synchronous", "foreign_keys")
        ]
    )
    assert pragmas == ["wal", 2, 1]  # synchronous 2 = FULL


def test_read_connections_cannot_write(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError):
        db.read(lambda conn: conn.execute("INSERT INTO customers (code, name) VALUES ('X', 'x')"))


def test_migrations_apply_once_by_name_on_a_memory_database() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    applied = apply_migrations(conn)
    assert applied == [m.name for m in migrations._migrations]
    assert applied[0] == "0001_master_data"
    assert apply_migrations(conn) == []
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert names == applied
    assert {"movements", "balances", "events", "audit"} <= set(
        sqlite_utils.Database(conn).table_names()
    )


def test_a_failed_write_leaves_nothing(db: Database) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO customers (code, name) VALUES ('C1', 'one')")
        raise RuntimeError("rules refused")

    with pytest.raises(RuntimeError):
        db._write(half_then_fail)
    assert db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]) == 0


def test_writes_from_many_threads_are_serialised(db: Database) -> None:
    db._write(
        lambda conn: conn.execute(
            "INSERT INTO customers (code, name, min_shelf_life_days) VALUES ('C', 'c', 0)"
        )
    )

    def bump(conn: sqlite3.Connection) -> None:
        # read-modify-write: only correct if no other write interleaves
        n = conn.execute("SELECT min_shelf_life_days FROM customers WHERE code = 'C'").fetchone()[0]
        conn.execute("UPDATE customers SET min_shelf_life_days = ? WHERE code = 'C'", (n + 1,))

    threads = [
        threading.Thread(target=lambda: [db._write(bump) for _ in range(25)]) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (
        db.read(
            lambda conn: conn.execute("SELECT min_shelf_life_days FROM customers").fetchone()[0]
        )
        == 200
    )


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        db._write(
            lambda conn: conn.execute(
                "INSERT INTO skus (customer_id, code, name) VALUES (99, 'S', 's')"
            )
        )


def test_backup_is_a_consistent_copy_taken_while_writing(db: Database, tmp_path: Path) -> None:
    stop = threading.Event()

    def keep_writing() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            db._write(
                lambda conn, i=i: conn.execute(
                    "INSERT INTO customers (code, name) VALUES (?, 'x')", (f"C{i}",)
                )
            )

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        target = tmp_path / "copy.db"
        db.backup(target)
    finally:
        stop.set()
        writer.join()
    copy = connect(target, readonly=True)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        codes = [r[0] for r in copy.execute("SELECT code FROM customers ORDER BY id")]
    finally:
        copy.close()
    # a snapshot: a gapless prefix of what the writer wrote
    assert codes == [f"C{i}" for i in range(1, len(codes) + 1)]
