"""`bondfloor restore BACKUP`, as a real process: refused while a server runs on the
database, refused for a file that is not a sound bondfloor database, and otherwise the
backup in place, the replaced file kept, a restore epoch begun and audited."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.live_server import BONDFLOOR, running_server


def bf(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BONDFLOOR), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    """A seeded site database and its settings file: (config, database)."""
    config = tmp_path / "site.toml"
    database = tmp_path / "site.db"
    config.write_text(f'[database]\npath = "{database}"\n')
    assert bf(config, "demo").returncode == 0
    return config, database


def test_restore_refuses_while_a_server_runs_on_the_database(tmp_path: Path) -> None:
    with running_server(tmp_path, "Restore") as server:
        backup = tmp_path / "backup.db"
        assert bf(server.config, "backup", str(backup)).returncode == 0
        events = query(server.db_path, "SELECT COUNT(*) FROM events")
        refused = bf(server.config, "restore", str(backup))
        assert refused.returncode == 1
        assert "DATABASE_IN_USE" in refused.stderr
        assert query(server.db_path, "SELECT COUNT(*) FROM events") == events
        assert not list(tmp_path.glob(f".{server.db_path.name}.restoring*"))
        assert not list(tmp_path.glob("site.db.replaced-*"))
        with urllib.request.urlopen(f"{server.base_url}/health", timeout=5) as answer:
            assert answer.status == 200  # the server goes on, untouched
    done = bf(server.config, "restore", str(backup))  # stopped: now it may
    assert done.returncode == 0, done.stderr


def test_restore_puts_the_backup_in_place_in_a_new_epoch_and_keeps_the_replaced_file(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    config, database = site
    backup = tmp_path / "backup.db"
    assert bf(config, "backup", str(backup)).returncode == 0
    assert bf(config, "user", "disable", "pick01").returncode == 0  # after the backup
    last_seq = query(database, "SELECT MAX(seq) FROM events")[0][0]

    done = bf(config, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert "new events in epoch" in done.stdout
    (kept,) = [
        p for p in tmp_path.glob("site.db.replaced-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert query(kept, "SELECT active FROM users WHERE code = 'pick01'") == [(0,)]
    assert query(database, "SELECT active FROM users WHERE code = 'pick01'") == [(1,)]
    epoch = query(database, "SELECT reason, after_seq, detail FROM journal_epochs ORDER BY id DESC")
    assert epoch[0] == ("restore", last_seq, str(backup.resolve()))
    audit = query(database, "SELECT action, actor FROM audit WHERE action = 'db.restore'")
    assert len(audit) == 1 and audit[0][1].startswith("system:cli:")
    assert query(database, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        ("missing", "BACKUP_NOT_FOUND"),
        ("text", "BACKUP_DAMAGED"),
        ("torn", "BACKUP_DAMAGED"),
        ("other_sqlite", "NOT_A_BONDFLOOR_DATABASE"),
        ("newer", "BACKUP_FROM_NEWER_VERSION"),
    ],
)
def test_restore_refuses_a_backup_that_is_not_a_sound_bondfloor_database(
    site: tuple[Path, Path], tmp_path: Path, make: str, code: str
) -> None:
    config, database = site
    backup = tmp_path / "backup.db"
    if make == "text":
        backup.write_text("not a database\n" * 200)
    elif make == "other_sqlite":
        conn = sqlite3.connect(backup)
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.commit()
        conn.close()
    elif make in ("torn", "newer"):
        assert bf(config, "backup", str(backup)).returncode == 0
        if make == "newer":
            conn = sqlite3.connect(backup)
            conn.execute(
                "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                "VALUES ('bondfloor', '9999_from_the_future', '2030-01-01')"
            )
            conn.commit()
            conn.close()
        else:  # a copy cut short and scribbled over: pages of the tables are garbage
            data = bytearray(backup.read_bytes())
            page = 4096
            for offset in range(page * 3, min(len(data), page * 40), page):
                data[offset + 8 : offset + 200] = b"\xff" * 192
            backup.write_bytes(bytes(data))
    before = database.read_bytes()

    refused = bf(config, "restore", str(backup))
    assert refused.returncode == 1
    assert code in refused.stderr, refused.stderr
    assert database.read_bytes() == before
    assert not list(tmp_path.glob("site.db.replaced-*"))


def test_the_replaced_database_keeps_its_wal_and_the_backup_gets_none_of_it(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    config, database = site
    backup = tmp_path / "backup.db"
    assert bf(config, "backup", str(backup)).returncode == 0
    # A server killed after a write: its last commits are only in the WAL beside the file.
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys\n"
            "from server.db import Database\n"
            "db = Database(sys.argv[1])\n"
            "db._write(lambda c: c.execute(\"UPDATE users SET active = 0 WHERE code = 'pick01'\"))\n"
            "os._exit(0)\n",
            str(database),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == 0, killed.stderr
    assert Path(f"{database}-wal").stat().st_size > 0

    done = bf(config, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert query(database, "SELECT active FROM users WHERE code = 'pick01'") == [(1,)]
    (kept,) = [
        p for p in tmp_path.glob("site.db.replaced-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert Path(f"{kept}-wal").exists()
    assert query(kept, "SELECT active FROM users WHERE code = 'pick01'") == [(0,)]
