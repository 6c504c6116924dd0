"""Journal epochs: each process that writes the database begins its own, so a copy of the
file numbers its new events like the original but never keys them alike."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from server.commands import SYSTEM, append_event, run_command
from server.db import Database
from server.db.database import DatabaseBusy
from server.db.restore import exclusive_use
from server.sync.contract import WaveBuilt

WAVE = WaveBuilt(wave_no="W1", orders=[], automatic=False)


def add_event(db: Database, key: str) -> None:
    run_command(
        db,
        SYSTEM,
        "test.event",
        key,
        {},
        lambda conn, ctx: append_event(conn, ctx, "wave.built", WAVE),
    )


def journal(path: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute("SELECT seq, epoch FROM events ORDER BY seq")]
    finally:
        conn.close()


def opened(path: Path) -> Database:
    db = Database(path)
    db.migrate()
    return db


def test_each_process_that_writes_begins_its_own_epoch(tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    for n in range(2):  # two runs of the server, one after the other
        db = opened(path)
        add_event(db, f"a{n}")
        add_event(db, f"b{n}")
        db.close()
    (s1, e1), (s2, e2), (s3, e3), (s4, e4) = journal(path)
    assert (s1, s2, s3, s4) == (1, 2, 3, 4)
    assert e1 == e2 != e3 == e4 and len(e1) == 12
    conn = sqlite3.connect(path)
    epochs = conn.execute("SELECT epoch, after_seq, reason FROM journal_epochs ORDER BY id")
    assert [tuple(r) for r in epochs] == [(e1, 0, "open"), (e3, 2, "open")]
    conn.close()


def test_a_copied_file_never_keys_a_new_event_like_the_original(tmp_path: Path) -> None:
    original, copy = tmp_path / "site.db", tmp_path / "copy.db"
    db = opened(original)
    add_event(db, "before")
    db.close()
    shutil.copyfile(original, copy)
    for path in (original, copy):
        db = opened(path)
        add_event(db, "after")
        db.close()
    assert journal(original)[0] == journal(copy)[0]  # the shared past keeps its key
    (seq_a, epoch_a), (seq_b, epoch_b) = journal(original)[1], journal(copy)[1]
    assert seq_a == seq_b and epoch_a != epoch_b


def test_no_database_opens_while_a_restore_holds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    with exclusive_use(path), pytest.raises(DatabaseBusy):
        Database(path)
    Database(path).close()  # and once it is done, it opens
