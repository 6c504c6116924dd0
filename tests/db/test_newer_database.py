"""A version never opens a database a newer version made: going back after an upgrade is
restoring the backup taken before it, and an older server that started on the newer file
would misread tables it does not know."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path

import pytest

from server.db import Database
from server.db.migrations import NewerDatabase
from tests.live_server import BONDFLOOR, free_port


def made_by_a_newer_version(path: Path) -> str:
    database = Database(path)
    database.migrate()
    database.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('bondfloor', '0999_from_the_future', '2027-01-01 00:00:00')"
        )
    conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_migrate_refuses_a_database_with_a_migration_it_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    before = made_by_a_newer_version(path)
    database = Database(path)
    try:
        with pytest.raises(NewerDatabase, match="0999_from_the_future"):
            database.migrate()
    finally:
        database.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("command", [["init"], ["serve"], ["check-ledger"]])
def test_init_serve_and_other_commands_say_so_and_exit_1(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "site.db"
    made_by_a_newer_version(path)
    config = tmp_path / "site.toml"
    config.write_text(
        f'[database]\npath = "{path}"\n[server]\nhost = "127.0.0.1"\nport = {free_port()}\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(BONDFLOOR), "--config", str(config), *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0999_from_the_future" in done.stderr
    assert "restore the backup taken before the upgrade" in done.stderr
