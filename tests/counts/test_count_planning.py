"""Planning counts: ABC classes from the pick movements, and the schedule worker's step."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from server.commands import SYSTEM, CommandContext
from server.config import CountSettings, Settings
from server.counts import service
from server.db import Database

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def site(db: Database) -> None:
    """Ten SKUs of one customer on ten storage locations; picks: SKU 1 most, 10 never."""

    def seed(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO customers (id, code, name) VALUES (1, 'C1', 'c')")
        conn.execute("INSERT INTO locations (id, code, zone, type) VALUES (99, 'T-1', 'T', 'tote')")
        for n in range(1, 11):
            conn.execute(
                "INSERT INTO skus (id, customer_id, code, name) VALUES (?, 1, ?, 's')", (n, f"S{n}")
            )
            conn.execute(
                "INSERT INTO locations (id, code, zone, type) VALUES (?, ?, 'A', 'storage')",
                (n, f"A-{n}"),
            )
            conn.execute(
                "INSERT INTO movements (at, kind, customer_id, sku_id, quantity, to_location_id, "
                "user_code, command_key) VALUES (?, 'receive', 1, ?, 100, ?, 'u', 'seed')",
                ((NOW - timedelta(days=60)).isoformat(), n, n),
            )
            conn.execute(
                "INSERT INTO balances (location_id, customer_id, sku_id, quantity, since) "
                "VALUES (?, 1, ?, 100, '')",
                (n, n),
            )
            picks = {1: 50, 2: 30, 3: 10, 4: 5, 5: 3, 6: 1, 7: 1}.get(n, 0)
            for _ in range(picks):
                conn.execute(
                    "INSERT INTO movements (at, kind, customer_id, sku_id, quantity, "
                    "from_location_id, to_location_id, user_code, command_key) "
                    "VALUES (?, 'pick', 1, ?, 1, ?, 99, 'u', 'seed')",
                    ((NOW - timedelta(days=2)).isoformat(), n, n),
                )

    db._write(seed)


def test_abc_classes_rank_skus_by_their_share_of_picks(tmp_path: object) -> None:
    db = Database(f"{tmp_path}/abc.db")
    db.migrate()
    site(db)
    classes = db.read(lambda c: service.abc_classes(c, 30, now=NOW.isoformat()))
    # 100 picks: S1 (50) and S2 (30) make the first 80 %, S3 and S4 the next 15 %
    assert [classes[n] for n in range(1, 11)] == list("AABBCCCCCC")
    # the picks were two days ago: over the last day nothing moved, everything is C
    assert set(db.read(lambda c: service.abc_classes(c, 1, now=NOW.isoformat())).values()) == {"C"}
    db.close()


def test_the_schedule_plans_class_a_locations_not_counted_lately(tmp_path: object) -> None:
    db = Database(f"{tmp_path}/schedule.db")
    db.migrate()
    site(db)
    every_week = CountSettings(schedule_class_a_days=7)

    def plan(conn: sqlite3.Connection) -> list[int]:
        return service.create_due_tasks(
            conn, CommandContext(actor=SYSTEM, key="k", at=NOW.isoformat()), every_week
        )

    first = db._write(plan)
    planned = db.read(
        lambda c: [r[0] for r in c.execute("SELECT location_id FROM count_tasks ORDER BY 1")]
    )
    assert len(first) == 2 and planned == [1, 2]
    assert db._write(plan) == []  # already planned: nothing twice
    off = CountSettings(schedule_class_a_days=0)
    assert (
        db._write(
            lambda c: service.create_due_tasks(c, CommandContext(actor=SYSTEM, key="k2"), off)
        )
        == []
    )
    # the worker's step runs the same as one command
    db._write(lambda c: c.execute("UPDATE count_tasks SET status = 'cancelled'"))
    settings = Settings(counts=CountSettings(schedule_class_a_days=7, abc_window_days=3660))
    assert len(service.run_scheduled_counts(db, settings)) == 2
    db.close()
