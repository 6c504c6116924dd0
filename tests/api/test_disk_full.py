"""A full disk: writes answer 503 DISK_FULL with Retry-After, the log says so once per
burst, reads go on, and writes work again once there is room.

The disk is made full for real as SQLite sees it: `PRAGMA max_page_count` on the writer
connection makes the next page SQLite needs fail with SQLITE_FULL, the error a full disk
gives (checked on a small tmpfs: ENOSPC in a write becomes SQLITE_FULL).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from server import disk_full
from server.db import Database
from server.disk_full import BurstLog, storage_failure
from server.workers import Worker
from tests.api.test_error_shape import assert_error
from tests.conftest import Api, new_key, seed_basics, table_counts


def fill_the_disk(api: Api) -> int:
    """Cap the database at the pages it has now; returns the cap to lift it later."""
    pages = api.db._write(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
    api.db._write(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}"))
    return int(pages)


def make_room(api: Api) -> None:
    api.db._write(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823"))


def customer(n: int) -> dict[str, str]:
    # Long names: each write needs new pages, as on a busy floor.
    return {"code": f"F{n}", "name": f"Customer {n} " + "x" * 180}


def test_writes_on_a_full_disk_answer_503_disk_full_with_retry_after(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    seed_basics(api)
    api.token("picker")
    fill_the_disk(api)
    before = table_counts(api.db)
    caplog.set_level(logging.INFO)
    answers = [api.post("/api/v1/customers", json=customer(n)) for n in range(40)]
    refused = [a for a in answers if a.status_code != 200]
    assert len(refused) >= 35, [a.status_code for a in answers]
    for answer in refused:
        error = assert_error(answer, 503, "DISK_FULL")
        assert answer.headers["retry-after"].isdigit()
        assert error["details"] == {"retry_after_seconds": int(answer.headers["retry-after"])}
    assert table_counts(api.db)["customers"] - before["customers"] == 40 - len(refused)

    storage_lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(storage_lines) == 1, [r.getMessage() for r in storage_lines]
    assert "DISK_FULL" in storage_lines[0].getMessage()
    assert storage_lines[0].exc_info is None  # no traceback per request
    assert not any("Traceback" in r.getMessage() for r in caplog.records)


def test_reads_go_on_and_writes_work_again_once_there_is_room(api: Api) -> None:
    seed_basics(api)
    fill_the_disk(api)
    while api.post("/api/v1/customers", json=customer(0)).status_code == 200:
        pass  # until the cap is reached
    assert api.get("/api/v1/customers").status_code == 200
    assert api.get("/health").status_code == 200
    make_room(api)
    assert api.post("/api/v1/customers", json=customer(1)).status_code == 200


def test_a_login_on_a_full_disk_answers_disk_full(api: Api) -> None:
    api.token("supervisor")  # the user exists
    fill_the_disk(api)
    answers = [
        api.client.post("/api/v1/auth/login", json={"user_code": "supervisor01", "pin": "4321"})
        for _ in range(30)
    ]
    assert {a.status_code for a in answers} <= {201, 503}
    assert any(a.status_code == 503 for a in answers)
    assert_error(next(a for a in answers if a.status_code == 503), 503, "DISK_FULL")


def test_other_database_errors_are_still_server_errors(api: Api) -> None:
    """Only a full or failing disk is a 503: a locked database or a bug stays a 500."""
    assert storage_failure(sqlite3.OperationalError("database is locked")) is None
    assert storage_failure(ValueError("x")) is None
    full = sqlite3.connect(":memory:")
    full.execute("CREATE TABLE t (x)")
    full.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as raised:
        for _ in range(100):
            full.execute("INSERT INTO t VALUES (?)", ("x" * 2000,))
    assert storage_failure(raised.value) == (
        "DISK_FULL",
        "the server's disk is full; the change was not made, try again",
    )
    full.close()
    failing = sqlite3.OperationalError("disk I/O error")
    failing.sqlite_errorcode = 778  # SQLITE_IOERR_WRITE: extended codes keep the primary
    assert storage_failure(failing) is not None
    assert storage_failure(failing)[0] == "STORAGE_ERROR"  # type: ignore[index]


def test_the_burst_log_reports_once_a_minute_with_what_it_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    burst = BurstLog(logging.getLogger("test.burst"), every_seconds=60, clock=lambda: now[0])
    caplog.set_level(logging.ERROR, logger="test.burst")
    for _ in range(1583):
        burst.report("DISK_FULL", "database or disk is full")
        now[0] += 0.01
    assert len(caplog.records) == 1
    now[0] += 60
    burst.report("DISK_FULL", "database or disk is full")
    assert len(caplog.records) == 2
    assert "1582 more" in caplog.records[1].getMessage()
    burst.report("STORAGE_ERROR", "disk I/O error")  # another failure has its own burst
    assert len(caplog.records) == 3


def test_an_idempotent_replay_after_a_full_disk_applies_the_change_once(api: Api) -> None:
    """The handheld keeps a refused change in its outbox and sends it again with its key."""
    seed_basics(api)
    fill_the_disk(api)
    key = new_key()
    first = None
    for n in range(50):
        first = api.post("/api/v1/customers", key=key if n == 49 else "auto", json=customer(n))
    assert first is not None and first.status_code == 503
    make_room(api)
    again = api.post("/api/v1/customers", key=key, json=customer(49))
    assert again.status_code == 200
    replay = api.post("/api/v1/customers", key=key, json=customer(49))
    assert replay.json() == again.json()


def test_a_worker_on_a_full_disk_logs_once_per_burst_not_a_traceback_per_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(disk_full, "_background", BurstLog(logging.getLogger("bondfloor.storage")))
    db = Database(tmp_path / "full.db")
    db._write(lambda conn: conn.execute("CREATE TABLE t (x)"))
    db._write(lambda conn: conn.execute("PRAGMA max_page_count = 2"))
    runs = threading.Event()

    def step(db: Database) -> None:
        if worker.runs >= 30:
            runs.set()
        db._write(lambda conn: conn.execute("INSERT INTO t VALUES (?)", ("x" * 3000,)))

    worker = Worker("filler", step, interval_seconds=0.001)
    caplog.set_level(logging.INFO)
    worker.start(db)
    try:
        assert runs.wait(10)
    finally:
        worker.stop()
        db.close()
    assert "SQLITE_FULL" in worker.last_error or "full" in worker.last_error
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].exc_info is None and "DISK_FULL" in errors[0].getMessage()
