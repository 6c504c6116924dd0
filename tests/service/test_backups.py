"""Scheduled online backups: when one is due, how files are named, what retention keeps,
that a backup is a whole consistent copy made while a write is open, and that the server's
worker makes them."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.backups import (
    BackupFile,
    backup_name,
    is_due,
    list_backups,
    make_backup,
    prune,
    run_scheduled_backup,
)
from server.config import BackupSettings, Settings, SiteSettings
from server.db import Database
from server.litestream_config import litestream_yaml
from tests.live_server import BONDFLOOR, running_server

NOON_UTC = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def settings(**backup: object) -> Settings:
    return Settings(
        site=SiteSettings(code="SZ1", timezone="Asia/Shanghai"),
        backup=BackupSettings(enabled=True, **backup),  # type: ignore[arg-type]
    )


def test_files_are_named_by_site_and_utc_time_and_other_files_are_ignored(
    tmp_path: Path,
) -> None:
    at = datetime(2026, 12, 6, 10, 30, 5, tzinfo=UTC)
    assert backup_name("SZ1", at) == "SZ1-20261206T103005Z.db"
    for name in ("SZ1-20261206T103005Z.db", "SZ1-20261205T103005Z.db", "SZ2-20261206T000000Z.db",
                 ".SZ1-20261207T000000Z.db.partial", "notes.txt"):  # fmt: skip
        (tmp_path / name).write_bytes(b"")
    found = list_backups(tmp_path, "SZ1")
    assert [f.path.name for f in found] == ["SZ1-20261205T103005Z.db", "SZ1-20261206T103005Z.db"]
    assert found[-1].at == at


def test_every_hours_is_due_after_that_many_hours_or_with_no_backup_yet() -> None:
    s = settings(every_hours=6.0)
    assert is_due(s, None, NOON_UTC)
    assert not is_due(s, NOON_UTC - timedelta(hours=5, minutes=59), NOON_UTC)
    assert is_due(s, NOON_UTC - timedelta(hours=6), NOON_UTC)


def test_daily_at_is_the_time_on_the_sites_clock() -> None:
    s = settings(daily_at="02:30")  # Shanghai is UTC+8: 02:30 there is 18:30 UTC the day before
    slot = datetime(2026, 12, 5, 18, 30, tzinfo=UTC)
    assert not is_due(s, slot + timedelta(minutes=1), NOON_UTC)
    assert is_due(s, slot - timedelta(minutes=1), NOON_UTC)
    # Before today's 02:30 (local) yesterday's slot counts.
    early = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)  # 02:00 local
    assert not is_due(s, datetime(2026, 12, 4, 18, 31, tzinfo=UTC), early)
    assert is_due(s, datetime(2026, 12, 4, 18, 29, tzinfo=UTC), early)


def test_retention_keeps_the_newest_n_and_anything_younger_than_keep_days(tmp_path: Path) -> None:
    files = []
    for days in range(10):
        at = NOON_UTC - timedelta(days=days)
        path = tmp_path / backup_name("SZ1", at)
        path.write_bytes(b"x")
        files.append(BackupFile(path, at))
    removed = prune(files, BackupSettings(keep=3), NOON_UTC)
    assert len(removed) == 7
    assert [f.path.name for f in list_backups(tmp_path, "SZ1")] == [
        f.path.name for f in reversed(files[:3])
    ]
    files = list_backups(tmp_path, "SZ1")
    assert prune(files, BackupSettings(keep=1, keep_days=2.5), NOON_UTC) == []  # all 3 young
    assert len(prune(files, BackupSettings(keep=1, keep_days=1.5), NOON_UTC)) == 1


def test_a_backup_is_made_while_a_write_transaction_is_open_and_is_whole(tmp_path: Path) -> None:
    db = Database(tmp_path / "site.db")
    db.migrate()
    db._write(lambda conn: conn.execute("CREATE TABLE probe (n INTEGER)"))
    db._write(
        lambda conn: conn.executemany("INSERT INTO probe VALUES (?)", [(i,) for i in range(500)])
    )
    holding = threading.Event()
    release = threading.Event()

    def hold_the_writer(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO probe VALUES (-1)")
        holding.set()
        release.wait(10)

    writer = threading.Thread(target=db._write, args=(hold_the_writer,))
    writer.start()
    try:
        assert holding.wait(5)
        started = time.monotonic()
        made = make_backup(db, "SZ1", tmp_path / "backups", NOON_UTC)
        took = time.monotonic() - started
    finally:
        release.set()
        writer.join()
    db.close()
    assert took < 5, "the backup waited for the writer"
    assert made.name == "SZ1-20261206T120000Z.db"
    assert [p.name for p in made.parent.iterdir()] == [made.name]  # no .partial left
    copy = sqlite3.connect(made)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The snapshot before the open write: all 500 rows, not the uncommitted one.
    assert copy.execute("SELECT count(*), min(n) FROM probe").fetchone() == (500, 0)
    copy.close()


def test_the_worker_step_backs_up_when_due_and_prunes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = Database(tmp_path / "site.db")
    db.migrate()
    s = settings(every_hours=1.0, keep=2)
    made = [run_scheduled_backup(db, s, NOON_UTC + timedelta(minutes=m)) for m in range(0, 240, 30)]
    db.close()
    assert [m is not None for m in made] == [True, False] * 4
    assert [f.at for f in list_backups(tmp_path / "var/backups", "SZ1")] == [
        NOON_UTC + timedelta(hours=2),
        NOON_UTC + timedelta(hours=3),
    ]


def test_the_server_makes_scheduled_backups_while_it_serves(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    extra = f'[backup]\nenabled = true\nfolder = "{folder}"\n'
    with running_server(tmp_path, "Backups", extra) as server:
        deadline = time.monotonic() + 20
        while not list_backups(folder, "SITE1") and time.monotonic() < deadline:
            time.sleep(0.2)
        (made,) = list_backups(folder, "SITE1")
        health = subprocess.run(
            ["curl", "-s", f"{server.base_url}/health"], capture_output=True, text=True
        ).stdout
        assert '"backup"' in health
    copy = sqlite3.connect(made.path)
    assert copy.execute("SELECT count(*) FROM users").fetchone()[0] > 0  # the demo's
    copy.close()


def test_backup_file_and_backup_now_from_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(
        f'[database]\npath = "{tmp_path}/site.db"\n'
        f'[backup]\nfolder = "{tmp_path}/backups"\nkeep = 1\n',
        encoding="utf-8",
    )

    def bf(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BONDFLOOR), "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert bf("backup", str(tmp_path / "one.db")).returncode == 0  # as before: one copy
    assert (tmp_path / "one.db").is_file()
    first = bf("backup", "now")
    assert first.returncode == 0, first.stderr
    # As if it was made a minute ago (names have seconds), instead of waiting for one to pass.
    (made,) = list_backups(tmp_path / "backups", "SITE1")
    older = made.path.with_name(backup_name("SITE1", made.at - timedelta(minutes=1)))
    made.path.rename(older)
    second = bf("backup", "now")
    assert "removed" in second.stdout  # keep = 1
    (kept,) = list_backups(tmp_path / "backups", "SITE1")
    assert kept.path != older and not older.exists()


def test_litestream_config_for_a_folder_and_for_s3() -> None:
    db = Path("/var/lib/bondfloor/var/bondfloor.db")
    folder = litestream_yaml(db, "/mnt/nas/bondfloor", "SZ1")
    assert '  - path: "/var/lib/bondfloor/var/bondfloor.db"' in folder
    assert "      type: file\n" in folder and '"/mnt/nas/bondfloor/SZ1"' in folder
    s3 = litestream_yaml(db, "s3://floor-backups/sites", "SZ1", endpoint="http://nas:9000")
    assert '      bucket: "floor-backups"' in s3 and '      path: "sites/SZ1"' in s3
    assert "force-path-style: true" in s3
    with pytest.raises(ValueError, match="absolute"):
        litestream_yaml(db, "relative/folder", "SZ1")
    with pytest.raises(ValueError):
        litestream_yaml(db, "ftp://nas/x", "SZ1")


@pytest.mark.parametrize(("pages", "wal_grows"), [(1000, False), (0, True)])
def test_wal_autocheckpoint_pages_zero_leaves_checkpoints_to_litestream(
    tmp_path: Path, pages: int, wal_grows: bool
) -> None:
    db = Database(tmp_path / "site.db", wal_autocheckpoint=pages)
    db._write(lambda conn: conn.execute("CREATE TABLE filler (b BLOB)"))
    for _ in range(30):  # about 3000 pages of 4 KiB, 100 per transaction
        db._write(
            lambda conn: conn.executemany(
                "INSERT INTO filler VALUES (randomblob(4000))", [()] * 100
            )
        )
    wal_pages = (tmp_path / "site.db-wal").stat().st_size // 4096
    db.close()
    assert (wal_pages > 2500) is wal_grows, wal_pages
