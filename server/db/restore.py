"""`bondfloor restore BACKUP`: put a backup in place of the site database, the one
supported way.

It refuses while any bondfloor process (a server above all) has the database open, checks
the backup (SQLite's integrity check, a bondfloor database, no migration this version does
not know), brings it up to date, and begins a journal epoch marked `restore` before anything
else can write to it (server/db/journal_epoch.py): new events never take a key the OMS
already holds. The file it replaces is kept beside it, with its WAL, never deleted: it
holds what happened after the backup.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from server import clock
from server.db.database import connect, in_use_lock_path
from server.db.journal_epoch import begin_epoch, last_event_seq
from server.db.migrations import applied_migrations, apply_migrations, unknown_migrations
from server.error_codes import ERR, ErrorCode
from server.labels.sscc_restore import SsccJump, SsccJumpShort, jump_sscc_counters

log = logging.getLogger("bondfloor.restore")

SIDECARS = ("-wal", "-shm")


class RestoreRefused(Exception):
    """The restore did not start; nothing was changed. `code` is stable."""

    def __init__(self, refusal: ErrorCode, **params: object) -> None:
        self.code = refusal.code
        self.message = refusal.message(**params)
        super().__init__(f"{self.code}: {self.message}")


@dataclass(frozen=True)
class Restored:
    target: Path
    replaced: Path | None  # the file that was in place, kept; None if there was none
    epoch: str
    last_seq: int  # the last event in the backup; new events follow it, in `epoch`
    undelivered: int  # events of the backup its delivery cursor had not passed
    applied: list[str]  # migrations the backup lacked
    sscc_jumps: list[SsccJump] = field(default_factory=list)  # counters moved past the gap


@contextlib.contextmanager
def exclusive_use(target: Path) -> Iterator[IO[bytes]]:
    """The database's in-use lock, exclusively: no server or other bondfloor process has it
    open (each holds it shared, see Database), and none can open it until this ends."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = in_use_lock_path(target).open("a+b")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise RestoreRefused(ERR.DATABASE_IN_USE, target=target) from err
        yield handle
    finally:
        handle.close()


def check_backup(backup: Path) -> None:
    """Refuses a file that is not a sound bondfloor database this version can run."""
    if not backup.is_file():
        raise RestoreRefused(ERR.BACKUP_NOT_FOUND, backup=backup)
    try:
        conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise RestoreRefused(ERR.BACKUP_UNREADABLE, backup=backup, problem=err) from err
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
        if problems != ["ok"]:
            raise RestoreRefused(ERR.BACKUP_DAMAGED, backup=backup, problem="; ".join(problems))
        applied = applied_migrations(conn)
    except sqlite3.DatabaseError as err:
        raise RestoreRefused(ERR.BACKUP_DAMAGED, backup=backup, problem=err) from err
    finally:
        conn.close()
    if not applied:
        raise RestoreRefused(ERR.NOT_A_BONDFLOOR_DATABASE, backup=backup)
    unknown = unknown_migrations(applied)
    if unknown:
        raise RestoreRefused(
            ERR.BACKUP_FROM_NEWER_VERSION, backup=backup, unknown=", ".join(unknown)
        )


def restore_database(
    backup: Path,
    target: Path,
    restored_by: str,
    sscc_prefixes: tuple[str, ...] = (),
    sscc_gap: int = 0,
) -> Restored:
    """Replace `target` by a checked, migrated copy of `backup` in a new journal epoch, its
    SSCC counters moved past what was allocated after the backup (labels/sscc_restore.py):
    those under `sscc_prefixes` too, which the backup may not know yet."""
    backup, target = backup.resolve(), target.resolve()
    if backup == target:
        raise RestoreRefused(ERR.BACKUP_IS_THE_DATABASE, backup=backup)
    check_backup(backup)
    with exclusive_use(target):
        staged = target.with_name(f".{target.name}.restoring")
        _remove_with_sidecars(staged)
        try:
            _copy(backup, staged)
            epoch, last_seq, undelivered, applied, jumps = _prepare(
                staged, backup, restored_by, list(sscc_prefixes), sscc_gap
            )
            replaced = _put_aside(target)
            os.replace(staged, target)
            _sync_folder(target.parent)
        finally:
            _remove_with_sidecars(staged)
    for jump in jumps:
        log.info(
            "restore: SSCC serials under %s moved from %d to %d (the time since the backup "
            "could have used %d); %d left",
            jump.prefix,
            jump.before,
            jump.after,
            jump.needed,
            jump.left,
        )
    return Restored(target, replaced, epoch, last_seq, undelivered, applied, jumps)


def _copy(backup: Path, staged: Path) -> None:
    """SQLite's backup API: a consistent copy even of a backup that has a WAL beside it."""
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dest = sqlite3.connect(str(staged))
    try:
        source.backup(dest, pages=-1)
    finally:
        dest.close()
        source.close()


def _prepare(
    staged: Path, backup: Path, restored_by: str, sscc_prefixes: list[str], sscc_gap: int
) -> tuple[str, int, int, list[str], list[SsccJump]]:
    """Migrate the copy, begin its `restore` epoch and move its SSCC counters, audited,
    before it is put in place."""
    from server.commands import Actor, write_audit

    conn = connect(staged)
    try:
        applied = apply_migrations(conn)
        conn.execute("BEGIN IMMEDIATE")
        last_seq = last_event_seq(conn)
        try:
            jumps = jump_sscc_counters(conn, sscc_prefixes, sscc_gap)
        except SsccJumpShort as short:
            conn.execute("ROLLBACK")
            raise RestoreRefused(
                ERR.RESTORE_SSCC_SERIALS_SHORT,
                prefix=short.prefix,
                needed=short.needed,
                left=short.left,
            ) from short
        epoch = begin_epoch(conn, "restore", str(backup))
        cursor = conn.execute("SELECT MAX(delivered_seq) FROM sync_cursor").fetchone()[0] or 0
        actor = Actor(kind="system", code=restored_by, roles=frozenset({"admin"}))
        write_audit(
            conn,
            actor,
            "db.restore",
            target=f"epoch:{epoch}",
            details={
                "backup": str(backup),
                "last_seq": last_seq,
                "migrations": applied,
                "sscc_serials": {j.prefix: [j.before, j.after] for j in jumps},
            },
        )
        conn.execute("COMMIT")
        # One file, no WAL left to carry: what is put in place is complete on its own.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return epoch, last_seq, max(0, last_seq - cursor), applied, jumps


def _put_aside(target: Path) -> Path | None:
    if not target.exists():
        return None
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"{target.name}.replaced-{stamp}")
    # The WAL goes with its database, and first: left behind, SQLite would replay it into
    # the backup.
    for suffix in SIDECARS:
        side = Path(f"{target}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{aside}{suffix}"))
    os.replace(target, aside)
    return aside


def _remove_with_sidecars(path: Path) -> None:
    for each in (path, *(Path(f"{path}{s}") for s in SIDECARS)):
        each.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """The renames survive a power cut only once the folder itself is on disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
