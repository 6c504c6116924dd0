"""SQLite connections: one writer that serialises every write, and per-thread readers.

Writes are plain synchronous functions `fn(conn)` run inside `BEGIN IMMEDIATE` on the
single writer connection, so two commands never interleave and a failing command leaves
nothing behind. Reads run on their own connections (WAL lets them go on while a write is
in progress) inside a deferred transaction, so each read sees one consistent snapshot.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from server.db.journal_epoch import begin_epoch, has_journal_epochs

T = TypeVar("T")


def connect(
    path: str | Path, *, readonly: bool = False, busy_timeout_ms: int = 5000
) -> sqlite3.Connection:
    """Open a connection with the pragmas every bondfloor connection uses."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    # An acknowledged scan must survive a power cut: fsync the WAL on every commit.
    conn.execute("PRAGMA synchronous = FULL")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    else:
        conn.execute("PRAGMA journal_mode = WAL")
    return conn


class Database:
    """The site database: `write(fn)` for commands, `read(fn)` for queries."""

    def __init__(
        self, path: str | Path, *, busy_timeout_ms: int = 5000, wal_autocheckpoint: int = 1000
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._in_use = open_in_use_lock(self.path)
        self._busy_timeout_ms = busy_timeout_ms
        self._writer = connect(self.path, busy_timeout_ms=busy_timeout_ms)
        # Only the writer commits, so only its setting matters. SQLite's automatic
        # checkpoint is PASSIVE: it stops at a reader (Litestream holds one), never resets
        # the WAL under it. 0 leaves checkpoints to Litestream (docs/backups.md).
        self._writer.execute(f"PRAGMA wal_autocheckpoint = {int(wal_autocheckpoint)}")
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._epoch_begun = False
        self.lock_wait_observer: Callable[[float], object] | None = None
        """Told how long each write waited for the writer (the /metrics histogram)."""

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in one write transaction; commit if it returns, roll back if it raises."""
        asked = time.perf_counter()
        with self._write_lock:
            if self.lock_wait_observer is not None:
                self.lock_wait_observer(time.perf_counter() - asked)
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                begun = self._epoch_begun or self._begin_epoch(conn)
                result = fn(conn)
                conn.execute("COMMIT")
                self._epoch_begun = begun
            except BaseException:
                # A failed COMMIT (disk full, deferred constraint) leaves the transaction
                # open: roll it back, or the one writer could never begin again.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on this thread's read connection, in one snapshot."""
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    def migrate(self) -> list[str]:
        """Apply pending migrations; returns the names applied."""
        from server.db.migrations import apply_migrations

        with self._write_lock:
            applied = apply_migrations(self._writer)
            self._epoch_begun = False  # the journal may only now have epochs
            return applied

    @staticmethod
    def _begin_epoch(conn: sqlite3.Connection) -> bool:
        """This process's first write begins its own journal epoch (journal_epoch.py): a
        restored or copied file never numbers a new event like one the OMS holds."""
        if not has_journal_epochs(conn):
            return False
        begin_epoch(conn, "open", f"pid {os.getpid()}")
        return True

    def backup(self, target: str | Path) -> None:
        """Write a consistent copy of the live database to `target` (online, no downtime)."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = connect(self.path, readonly=True, busy_timeout_ms=self._busy_timeout_ms)
        dest = sqlite3.connect(str(target))
        try:
            # One step copies every page inside one read transaction: a consistent snapshot
            # while writers go on.
            source.backup(dest, pages=-1)
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
            source.close()

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()
        self._in_use.close()

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True, busy_timeout_ms=self._busy_timeout_ms)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn


def in_use_lock_path(path: str | Path) -> Path:
    return Path(f"{path}.in-use")


def open_in_use_lock(path: Path) -> IO[bytes]:
    """A shared lock beside the database, held while this process has it open: `bondfloor
    restore` takes it exclusively and so refuses while a server (or any other bondfloor
    process) uses the file. The kernel drops it when a process dies, so it never goes stale."""
    handle = in_use_lock_path(path).open("a+b")
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError as err:
        handle.close()
        raise DatabaseBusy(f"{path} is being restored; try again when that is done") from err
    return handle


class DatabaseBusy(RuntimeError):
    """The file is taken exclusively (a restore is replacing it)."""
