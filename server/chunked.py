"""Chunked commands: a bulk command (a wave of thousands of orders, an import of a million
rows) run as a job of short write transactions, so floor scans queued for the one writer
get their turn between the chunks instead of waiting seconds for one long COMMIT.

What a chunked command means:

- **One key for the whole job.** The caller's Idempotency-Key names the job. Its progress
  (`command_jobs.state`) is written in the same transaction as each chunk's work, so a
  chunk is either applied and counted or neither; a replay of the key after a crash or a
  lost answer resumes after the last committed chunk, and once the job is done it answers
  the stored result (as any command). The same key with another request is refused
  (IDEMPOTENCY_KEY_REUSED), as for any command. Two requests with one key at the same time
  share the job: each chunk reads the progress the last one stored.
- **Atomic per chunk, not per job.** Each chunk is all or nothing; the job as a whole is
  not. What a job keeps when a chunk is refused, and how its caller goes on, is the job's
  own rule (see `waves.WaveRelease`, `masterdata.service.ImportJob`); a refusal mid-way
  carries `details.job` = {"key", "done", "total"} so the caller knows how far it got.
  A job small enough for one chunk is one transaction, as before.
- **The floor first.** A chunk works about `[database] bulk_chunk_ms`, then commits; if
  floor writes queued behind it, the job rests as long as the chunk worked before the
  next one, and while any bulk work runs the GIL changes hands every 0.5 ms (see
  `floor_first`). A bulk job on an idle floor runs at full speed.
- **Events once.** Events are appended by the chunk that makes the change, inside its
  transaction: a chunk that is rolled back sends nothing, one that committed is never run
  again, so the OMS never receives one twice.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol

import msgspec

from server.commands import (
    Actor,
    CommandContext,
    CommandResult,
    check_idempotency_key,
    command_fingerprint,
    record_refusal,
    stored_result,
    write_audit,
)
from server.db import Database
from server.error_codes import ERR
from server.errors import DomainError

BULK_SWITCH_INTERVAL_S = 0.0005
"""How often threads take turns on the GIL while bulk work runs (Python's default: 5 ms)."""


class ChunkedJob(Protocol):
    """A bulk command's rules, split so each call fits in one short transaction.

    `state` is the job's JSON-able progress, stored after every chunk: everything the next
    chunk needs besides what the request itself gives again on a replay.
    """

    def begin(self, conn: sqlite3.Connection, ctx: CommandContext) -> dict[str, Any]:
        """The job's first state; refusing here refuses the command with nothing stored."""
        ...

    def step(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any], deadline: float
    ) -> bool:
        """Do work until `deadline` (time.perf_counter()), updating `state`; True when no
        work is left. Always makes some progress, however late it starts."""
        ...

    def finish(self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any]) -> Any:
        """The job's answer, in the transaction of its last chunk."""
        ...

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        """(done, total) units of work, for a refusal's details."""
        ...


def run_chunked_command(
    db: Database,
    actor: Actor,
    name: str,
    key: str | None,
    payload: Any,
    job: ChunkedJob,
    *,
    chunk_ms: float | None = None,
) -> CommandResult:
    """Run `job` for `key` in chunks of about `chunk_ms` each; replays answer the first
    result, or resume the job where its last committed chunk left it."""
    key = check_idempotency_key(key)
    fingerprint = command_fingerprint(actor, name, payload)
    budget_s = (chunk_ms if chunk_ms is not None else db.bulk_chunk_ms) / 1000
    target = ""  # what the job is about, for a refusal's audit line
    worked = [0.0]  # seconds the last chunk ran in the writer

    def chunk(conn: sqlite3.Connection) -> CommandResult | None:
        nonlocal target
        started = time.perf_counter()
        done = stored_result(conn, key, name, fingerprint)
        if done is not None:
            return done
        ctx = CommandContext(actor=actor, key=key)
        row = conn.execute(
            "SELECT name, request_hash, state FROM command_jobs WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            state = job.begin(conn, ctx)
            conn.execute(
                "INSERT INTO command_jobs (key, name, request_hash, actor, started_at, "
                "updated_at, state) VALUES (?, ?, ?, ?, ?, ?, '{}')",
                (key, name, fingerprint, actor.label, ctx.at, ctx.at),
            )
        else:
            _check_same_request(key, name, fingerprint, row)
            state = msgspec.json.decode(row["state"])
        target = state.get("audit_target", "")
        try:
            finished = job.step(conn, ctx, state, started + budget_s)
        except DomainError as err:
            done_units, total = job.progress(state)
            err.details = {**err.details, "job": {"key": key, "done": done_units, "total": total}}
            raise
        worked[0] = time.perf_counter() - started
        if not finished:
            conn.execute(
                "UPDATE command_jobs SET state = ?, updated_at = ?, chunks = chunks + 1 "
                "WHERE key = ?",
                (msgspec.json.encode(state).decode(), ctx.at, key),
            )
            return None
        encoded = msgspec.json.encode(job.finish(conn, ctx, state))
        chunks = conn.execute(
            "DELETE FROM command_jobs WHERE key = ? RETURNING chunks", (key,)
        ).fetchone()
        conn.execute(
            "INSERT INTO commands (key, name, request_hash, result, actor, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, name, fingerprint, encoded.decode(), actor.label, ctx.at),
        )
        details = {"key": key, "chunks": (chunks[0] if chunks else 0) + 1}
        write_audit(conn, actor, name, target=state.get("audit_target", ""), details=details)
        return CommandResult(msgspec.json.decode(encoded), replayed=False)

    try:
        with floor_first():
            while True:
                result = db._write(chunk)
                if result is not None:
                    return result
                if db.waiting_writes:
                    # The floor queued writes behind this chunk: it is busy. Rest as long
                    # as the chunk worked, so its requests get the CPU (and the GIL) between
                    # chunks too, not only the writer: the job takes longer, a scan does not.
                    time.sleep(min(worked[0], 2 * budget_s))
    except DomainError as err:
        if err.code != ERR.IDEMPOTENCY_KEY_REUSED.code:
            record_refusal(db, actor, name, err, details={"key": key}, target=target)
        raise


def _check_same_request(key: str, name: str, fingerprint: str, row: sqlite3.Row) -> None:
    if row["name"] != name or row["request_hash"] != fingerprint:
        raise ERR.IDEMPOTENCY_KEY_REUSED({"key": key, "first_command": row["name"]})


class _FloorFirst:
    """Bulk work is long stretches of Python; a floor request needs the GIL a few dozen
    times, and waits up to the switch interval each time a busy thread holds it (5 ms by
    default: a scan beside an import took 150 ms). While any bulk work runs, the interval
    is `BULK_SWITCH_INTERVAL_S`; the last one out puts the old value back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = sys.getswitchinterval()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, BULK_SWITCH_INTERVAL_S))
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    sys.setswitchinterval(self._saved)


floor_first = _FloorFirst()
"""`with floor_first():` around bulk work (parsing a big file, a chunked command)."""
