"""Group commit: writes that queue while the writer is busy share one transaction and one
COMMIT, each in its own savepoint, so a refused one rolls back alone and an answered one
is committed; idempotency keys still apply once.

To get a known batch, a first write holds the writer until every other write is queued
behind it; the writer connection is wrapped to record the statements it runs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from server.commands import SYSTEM, CommandContext, CommandResult, run_command
from server.config import Settings
from server.db import Database
from server.errors import Conflict, DomainError
from server.masterdata import service as masterdata
from server.masterdata.schemas import CustomerIn


class RecordingConnection:
    """The real writer connection, recording the statements that end or mark transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.statements: list[str] = []

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.split()[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            self.statements.append(sql)
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.fixture
def recorded(db: Database) -> RecordingConnection:
    recording = RecordingConnection(db._writer)
    db._writer = recording  # type: ignore[assignment]
    return recording


def wait_until(what: str, ok: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not ok():
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.005)


@contextmanager
def writer_held(db: Database) -> Iterator[None]:
    """Holds the writer with one write until the body has queued the others behind it."""
    release = threading.Event()
    holder = threading.Thread(target=lambda: db._write(lambda conn: release.wait(10)))
    holder.start()
    wait_until("the holder is writing", lambda: db.waiting_writes == 0 and db._leading)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def in_threads(calls: list[Callable[[], Any]], db: Database) -> list[Any]:
    """Starts every call in its own thread while the writer is held, waits until all are
    queued, lets the writer go and answers each call's result or exception, in order."""
    outcomes: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            outcomes[i] = calls[i]()
        except BaseException as err:
            outcomes[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    with writer_held(db):
        for t in threads:
            t.start()
        wait_until("all queued", lambda: db.waiting_writes == len(calls))
    for t in threads:
        t.join(10)
    return outcomes


def create_customer(db: Database, code: str, key: str | None = None) -> Callable[[], Any]:
    customer = CustomerIn(code=code, name=f"Customer {code}")
    return lambda: run_command(
        db,
        SYSTEM,
        "customer.upsert",
        key or f"key-{code}",
        code,
        lambda conn, ctx: masterdata.upsert_customer(conn, ctx, customer),
    )


def customers(db: Database) -> set[str]:
    return db.read(lambda conn: {r[0] for r in conn.execute("SELECT code FROM customers")})


def ok_audits(db: Database) -> int:
    return int(
        db.read(
            lambda c: c.execute("SELECT COUNT(*) FROM audit WHERE outcome = 'ok'").fetchone()[0]
        )
    )


def test_queued_commands_share_one_commit_each_in_its_own_savepoint(
    db: Database, recorded: RecordingConnection
) -> None:
    outcomes = in_threads([create_customer(db, f"GC{i}") for i in range(6)], db)

    assert all(isinstance(o, CommandResult) and not o.replayed for o in outcomes)
    assert customers(db) == {f"GC{i}" for i in range(6)}
    after_holder = recorded.statements[recorded.statements.index("COMMIT") + 1 :]
    assert after_holder.count("BEGIN IMMEDIATE") == 1
    assert after_holder.count("COMMIT") == 1
    assert after_holder.count("SAVEPOINT group_commit_member") == 6


def test_a_lone_write_commits_at_once_without_a_savepoint(
    db: Database, recorded: RecordingConnection
) -> None:
    create_customer(db, "ALONE")()
    assert recorded.statements == ["BEGIN IMMEDIATE", "COMMIT"]


def test_a_refused_command_in_a_batch_changes_nothing_while_the_others_commit(
    db: Database, recorded: RecordingConnection
) -> None:
    def refused(conn: sqlite3.Connection, ctx: CommandContext) -> None:
        # It writes first and is refused after: its savepoint must take the write back.
        masterdata.upsert_customer(conn, ctx, CustomerIn(code="REFUSED", name="Refused"))
        raise Conflict("refused after writing", code="LOCATION_OTHER_CUSTOMER")

    calls = [create_customer(db, "BEFORE")]
    calls.append(lambda: run_command(db, SYSTEM, "customer.upsert", "key-r", "R", refused))
    calls.append(create_customer(db, "AFTER"))
    audits_before = ok_audits(db)

    first, refusal, last = in_threads(calls, db)

    assert isinstance(refusal, DomainError) and refusal.code == "LOCATION_OTHER_CUSTOMER"
    assert not first.replayed and not last.replayed
    assert customers(db) == {"BEFORE", "AFTER"}
    assert ok_audits(db) == audits_before + 2
    stored = db.read(lambda conn: {r[0] for r in conn.execute("SELECT key FROM commands")})
    assert "key-r" not in stored  # refused: the key may be used again
    assert "ROLLBACK TO group_commit_member" in recorded.statements


def test_an_unexpected_error_in_a_batch_rolls_back_only_that_write(db: Database) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO customers (code, name) VALUES ('BROKEN', 'b')")
        raise RuntimeError("a bug in one command")

    calls = [create_customer(db, "ONE"), lambda: db._write(broken), create_customer(db, "TWO")]
    one, error, two = in_threads(calls, db)

    assert isinstance(error, RuntimeError)
    assert isinstance(one, CommandResult) and isinstance(two, CommandResult)
    assert customers(db) == {"ONE", "TWO"}


def test_when_sqlite_loses_the_batch_the_others_run_again_alone_and_commit(
    db: Database,
) -> None:
    def loses_the_transaction(conn: sqlite3.Connection) -> None:
        # What an I/O error or a full disk does: SQLite rolls the whole transaction back.
        conn.execute("ROLLBACK")
        raise sqlite3.OperationalError("disk I/O error")

    calls = [
        create_customer(db, "EARLIER"),
        lambda: db._write(loses_the_transaction),
        create_customer(db, "LATER"),
    ]
    earlier, error, later = in_threads(calls, db)

    assert isinstance(error, sqlite3.OperationalError)
    assert isinstance(earlier, CommandResult) and isinstance(later, CommandResult)
    assert customers(db) == {"EARLIER", "LATER"}
    assert ok_audits(db) >= 2


def test_a_failed_commit_fails_only_the_write_that_caused_it(db: Database) -> None:
    def tables(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute(
            "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) "
            "DEFERRABLE INITIALLY DEFERRED)"
        )

    db._write(tables)
    orphan = "INSERT INTO child (parent_id) VALUES (42)"  # fails only at COMMIT
    calls = [
        create_customer(db, "FIRST"),
        lambda: db._write(lambda conn: conn.execute(orphan)),
        create_customer(db, "SECOND"),
    ]
    first, error, second = in_threads(calls, db)

    assert isinstance(error, sqlite3.IntegrityError)
    assert isinstance(first, CommandResult) and isinstance(second, CommandResult)
    assert customers(db) == {"FIRST", "SECOND"}
    assert db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM child").fetchone()[0]) == 0


def test_one_key_sent_many_times_at_once_applies_once_in_a_batch(db: Database) -> None:
    outcomes = in_threads([create_customer(db, "ONCE", key="same-key") for _ in range(5)], db)

    assert sorted(o.replayed for o in outcomes) == [False, True, True, True, True]
    assert len({str(o.value) for o in outcomes}) == 1
    assert customers(db) == {"ONCE"}
    n = db.read(lambda c: c.execute("SELECT COUNT(*) FROM commands WHERE key = 'same-key'"))
    assert n.fetchone()[0] == 1


def test_keys_apply_once_under_free_running_concurrency(db: Database) -> None:
    """Eight threads send the same 40 keys, racing: each key is applied exactly once."""
    results: list[CommandResult] = []
    lock = threading.Lock()

    def client() -> None:
        for i in range(40):
            result = create_customer(db, f"K{i:02d}", key=f"race-{i}")()
            with lock:
                results.append(result)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert len(results) == 320
    assert sum(not r.replayed for r in results) == 40
    assert customers(db) == {f"K{i:02d}" for i in range(40)}
    applied = db.read(
        lambda c: c.execute(
            "SELECT COUNT(*) FROM audit WHERE action = 'customer.upsert' AND outcome = 'ok'"
        ).fetchone()[0]
    )
    assert applied == 40


def test_a_batch_is_bounded_by_its_size(settings: Settings) -> None:
    small = Database(settings.database.path, group_commit_max=2)
    try:
        small.migrate()
        recorded = RecordingConnection(small._writer)
        small._writer = recorded  # type: ignore[assignment]
        outcomes = in_threads([create_customer(small, f"B{i}") for i in range(5)], small)
        assert all(isinstance(o, CommandResult) for o in outcomes)
        after_holder = recorded.statements[recorded.statements.index("COMMIT") + 1 :]
        assert after_holder.count("COMMIT") == 3  # 2 + 2 + 1
    finally:
        small.close()


def test_a_lone_write_never_waits_for_company(settings: Settings) -> None:
    patient = Database(settings.database.path, group_commit_wait_ms=2_000)
    try:
        patient.migrate()
        started = time.monotonic()
        create_customer(patient, "QUICK")()
        assert time.monotonic() - started < 1.0
    finally:
        patient.close()


def test_a_leader_with_others_queued_waits_for_more_up_to_the_batch_size(
    settings: Settings,
) -> None:
    patient = Database(settings.database.path, group_commit_max=3, group_commit_wait_ms=5_000)
    try:
        patient.migrate()
        recorded = RecordingConnection(patient._writer)
        patient._writer = recorded  # type: ignore[assignment]
        late = threading.Thread(target=create_customer(patient, "LATE"))
        with writer_held(patient):
            early = [threading.Thread(target=create_customer(patient, f"E{i}")) for i in (1, 2)]
            for t in early:
                t.start()
            wait_until("two queued", lambda: patient.waiting_writes == 2)
        # The holder is done; the next leader found two queued and waits for a third.
        time.sleep(0.1)
        started = time.monotonic()
        late.start()
        for t in [*early, late]:
            t.join(10)
        assert time.monotonic() - started < 4.0, "the full batch began without the wait"
        after_holder = recorded.statements[recorded.statements.index("COMMIT") + 1 :]
        assert after_holder.count("COMMIT") == 1
        assert after_holder.count("SAVEPOINT group_commit_member") == 3
        assert customers(patient) == {"E1", "E2", "LATE"}
    finally:
        patient.close()
