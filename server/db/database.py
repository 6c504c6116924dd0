"""SQLite connections: one writer that serialises every write, and per-thread readers.

Writes are plain synchronous functions `fn(conn)` run inside `BEGIN IMMEDIATE` on the
single writer connection, so two commands never interleave and a failing command leaves
nothing behind. Writes that arrive together share one transaction and one fsync, each in
its own savepoint (group commit, see `Database._write`). Reads run on their own connections
(WAL lets them go on while a write is in progress) inside a deferred transaction, so each
read sees one consistent snapshot.

`_write` is private to the two modules that may change the site: server/commands.py (every
floor fact is a command) and server/system_writes.py (named bookkeeping writes that are not
commands). Everything else is handed this object to read; tests/test_one_write_path.py
holds the rule.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from server.db.journal_epoch import begin_epoch, has_journal_epochs

T = TypeVar("T")

GROUP_COMMIT_MAX = 64
"""Writes committed together at most: bounds how long the first of a batch waits."""
GROUP_COMMIT_WAIT_MS = 0.0
"""How long a leader that finds others queued waits for more before it begins."""
BULK_CHUNK_MS = 50.0
"""How long one chunk of a bulk command may work before it commits (server/chunked.py)."""


@dataclass(eq=False)
class _Write:
    """One caller's write on its way through the queue."""

    fn: Callable[[sqlite3.Connection], Any]
    asked: float
    wake: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    value: Any = None
    error: BaseException | None = None

    def settle(self, *, value: Any = None, error: BaseException | None = None) -> None:
        self.value, self.error, self.done = value, error, True
        self.wake.set()

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


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
    """The site database: `read(fn)` for queries; `_write(fn)` only for server/commands.py
    and server/system_writes.py (the one write path)."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_ms: int = 5000,
        wal_autocheckpoint: int = 1000,
        group_commit_max: int = GROUP_COMMIT_MAX,
        group_commit_wait_ms: float = GROUP_COMMIT_WAIT_MS,
        bulk_chunk_ms: float = BULK_CHUNK_MS,
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
        self._write_lock = threading.Lock()  # the writer connection's owner
        self._queue: list[_Write] = []  # writes waiting for a transaction, oldest first
        self._queue_changed = threading.Condition(threading.Lock())
        self._leading = False  # one waiting write leads: it runs the batches
        self._group_max = group_commit_max
        self._group_wait_s = group_commit_wait_ms / 1000
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._epoch_begun = False
        self.bulk_chunk_ms = bulk_chunk_ms
        """How long one chunk of a bulk command holds the writer (server/chunked.py)."""
        self.lock_wait_observer: Callable[[float], object] | None = None
        """Told how long each write waited for the writer (the /metrics histogram)."""
        self.batch_observer: Callable[[int], object] | None = None
        """Told how many writes each transaction of the writer took (group commit)."""

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in a write transaction; commit if it returns, roll back if it raises.

        Group commit: writes that arrive while another is committing wait in a queue, and
        the next one to lead runs up to `group_commit_max` of them in one `BEGIN IMMEDIATE`
        transaction, each in its own SAVEPOINT, and commits them with one fsync. A write
        that raises (a refused command, or any other error) is rolled back to its savepoint
        alone; the others commit. No write returns before the COMMIT that holds it has
        returned, so an answer still means durable (synchronous=FULL). If SQLite loses
        the whole transaction (an I/O error, disk full) or the COMMIT fails, each write
        that had not failed by itself runs again alone: none is acknowledged without its
        commit, none fails for another's fault. A lone write commits at once.
        """
        job = _Write(fn, time.perf_counter())
        with self._queue_changed:
            self._queue.append(job)
            if self._group_wait_s:
                self._queue_changed.notify()  # a leader gathering a batch counts arrivals
            lead = not self._leading
            self._leading = True
        if not lead:
            job.wake.wait()  # set when done, or when it is this write's turn to lead
            if job.done:
                return job.outcome()
        try:
            while not job.done:
                self._commit_batch(self._take_batch())
        finally:
            self._hand_over()
        return job.outcome()

    @property
    def waiting_writes(self) -> int:
        """Writes queued for the writer now (not counting the batch being run)."""
        with self._queue_changed:
            return len(self._queue)

    def _take_batch(self) -> list[_Write]:
        """The next writes in arrival order, at most `group_commit_max`. Only when others
        are already queued (the writer is busy) wait up to `group_commit_wait_s` for more."""
        with self._queue_changed:
            if 1 < len(self._queue) < self._group_max and self._group_wait_s > 0:
                deadline = time.perf_counter() + self._group_wait_s
                while len(self._queue) < self._group_max:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        break
                    self._queue_changed.wait(left)
            batch = self._queue[: self._group_max]
            del self._queue[: self._group_max]
            return batch

    def _hand_over(self) -> None:
        """The leader's own write is done: the oldest waiting write leads next."""
        with self._queue_changed:
            if self._queue:
                self._queue[0].wake.set()
            else:
                self._leading = False

    def _commit_batch(self, batch: list[_Write]) -> None:
        with self._write_lock:
            if self.lock_wait_observer is not None:
                started = time.perf_counter()
                for job in batch:
                    self.lock_wait_observer(started - job.asked)
            if self.batch_observer is not None:
                self.batch_observer(len(batch))
            try:
                if len(batch) == 1 or not self._run_together(batch):
                    for job in batch:
                        if not job.done:
                            self._run_alone(job)
            except BaseException as err:  # the batch machinery itself failed: tell everyone
                self._roll_back(self._writer)
                for job in batch:
                    if not job.done:
                        job.settle(error=err)
                raise

    def _run_together(self, batch: list[_Write]) -> bool:
        """One transaction, one savepoint per write, one COMMIT; settles each write. False
        when the transaction was lost: the writes left unsettled must run alone."""
        conn = self._writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            begun = self._epoch_begun or self._begin_epoch(conn)
        except BaseException:
            self._roll_back(conn)
            raise
        results: list[tuple[_Write, object]] = []
        for job in batch:
            conn.execute("SAVEPOINT group_commit_member")
            try:
                value = job.fn(conn)
            except BaseException as err:
                undone = conn.in_transaction and self._undo_member(conn)
                job.settle(error=err)
                if not undone:
                    # SQLite rolled the whole transaction back (I/O error, disk full):
                    # this write failed by itself, the others run again alone.
                    return False
                continue
            try:
                conn.execute("RELEASE group_commit_member")
            except sqlite3.Error:
                # The write swallowed an error that cost the transaction: it too runs again.
                self._roll_back(conn)
                return False
            results.append((job, value))
        if not results:
            self._roll_back(conn)
            return True
        try:
            conn.execute("COMMIT")
        except sqlite3.Error:
            self._roll_back(conn)
            return False  # nothing of it is durable: each runs again alone
        self._epoch_begun = begun
        for job, value in results:
            job.settle(value=value)
        return True

    def _run_alone(self, job: _Write) -> None:
        """One write in its own transaction (the lone write, or a batch's retry)."""
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
            begun = self._epoch_begun or self._begin_epoch(conn)
            value = job.fn(conn)
            conn.execute("COMMIT")
            self._epoch_begun = begun
        except BaseException as err:
            self._roll_back(conn)
            job.settle(error=err)
            return
        job.settle(value=value)

    @staticmethod
    def _undo_member(conn: sqlite3.Connection) -> bool:
        """Roll one write back to its savepoint; False if even that failed."""
        try:
            conn.execute("ROLLBACK TO group_commit_member")
            conn.execute("RELEASE group_commit_member")
        except sqlite3.Error:
            Database._roll_back(conn)
            return False
        return True

    @staticmethod
    def _roll_back(conn: sqlite3.Connection) -> None:
        # A failed COMMIT (disk full, deferred constraint) leaves the transaction open:
        # roll it back, or the one writer could never begin again.
        if conn.in_transaction:
            conn.execute("ROLLBACK")

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
