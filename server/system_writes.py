"""The writes that are not commands: each named, each saying why it is not one.

Every floor fact (stock, documents, users, settings a person changes) is a command
(server/commands.py): one transaction with an idempotency key, a stored result and an audit
line. What is left is the server's own bookkeeping: when a session or token was last used,
which sessions ran out, where the OMS delivery stands, how a print job and a printer are
doing, which agents are alive, which open alerts were seen again; and the two writes whose
answer is a credential that must never be stored as a command's result (a login, a token
made at the console). None of it is a request a client could send twice, so none needs a
key; a worker repeats it on its next pass instead.

These functions and server/commands.py are the only callers of `Database._write`
(tests/test_one_write_path.py holds that rule). The SQL they run lives in the services as
functions over the write connection. Services are imported as modules, not names: the
auth, sync and alerts services call back into this module, and a module import resolves
the cycle at call time.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from server import clock
from server.alerts import service as alerts
from server.auth import service as auth
from server.auth.throttle import LoginGate
from server.commands import Actor, CommandContext, write_audit
from server.config import AuthSettings, Settings, StationSettings
from server.db import Database
from server.printing import service as printing
from server.stations import agent_link
from server.sync import outbox
from server.sync.dialects import Answer

P = ParamSpec("P")
T = TypeVar("T")


class Books:
    """What a route declared `@bookkeeping` (server/declare.py) is handed instead of the
    database: reads on a read-only connection, and the writes named in this module. It has
    no other way to write, so such a route cannot change a floor fact around a command."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def read(self, reads: Callable[[sqlite3.Connection], T]) -> T:
        return self._db.read(reads)

    def record(
        self, write: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run one of this module's writes (or a login, which ends in `record_login`)."""
        if write.__module__ != __name__ and write is not auth.login:
            raise TypeError(f"{write.__qualname__} is not a system write")
        return write(self._db, *args, **kwargs)


# -- sessions and tokens ---------------------------------------------------------------


def record_login(
    db: Database,
    settings: AuthSettings,
    gate: LoginGate,
    found: sqlite3.Row | None,
    attempt: auth.LoginAttempt,
    *,
    pin_ok: bool,
    trusted: bool,
    now: datetime,
) -> auth.LoginOutcome:
    """A login's outcome: the new session, or the failed attempt counted toward the lock.

    Not a command: a refused login must still count its failure (a command's refusal rolls
    back), a PIN typed again is a new attempt rather than a replay, and the answer holds
    the session token, which a command would keep as its stored result."""
    return db._write(
        lambda conn: auth.record_login(
            conn, settings, gate, found, attempt, pin_ok=pin_ok, trusted=trusted, now=now
        )
    )


def note_token_used(db: Database, kind: str, token: str, at: str) -> None:
    """When a session or API token was last used (about once a minute, for the session list).

    Not a command: a side effect of reading with a token, no one asked for it."""
    db._write(lambda conn: auth.note_token_used(conn, kind, token, at))


def end_session_of_token(db: Database, token: str) -> None:
    """Logout: the session of the bearer token itself ends.

    Not a command: it needs no idempotency key (ending a session twice ends it once), and
    the token it ends is the caller's own credential, not a floor fact."""
    at = clock.stamp()
    db._write(lambda conn: auth.logout(conn, token, at))


def end_expired_sessions(db: Database, now: str, idle_since: str) -> int:
    """The session worker's sweep: sessions past their expiry or idle too long are closed.

    Not a command: the sessions already stopped working at their expiry; this only makes
    the session list say so."""
    return db._write(lambda conn: auth.end_expired_sessions(conn, now, idle_since))


def issue_api_token(
    db: Database, actor: Actor, key: str, name: str, kind: str, *, replace: bool = False
) -> dict[str, object]:
    """A station or OMS token made at the console (`bondfloor token add`, the demo's
    simulated OMS), audited; `replace` ends the one before.

    Not a command: the plain token is shown once and only its hash is kept, while a
    command stores its result under its key for replays."""

    def issue(conn: sqlite3.Connection) -> dict[str, object]:
        ctx = CommandContext(actor=actor, key=key)
        if replace:
            return auth.renew_api_token(conn, ctx, name, kind)
        made = auth.add_api_token(conn, ctx, name, kind)
        write_audit(conn, actor, "token.add", target=f"token:{name}")
        return made

    return db._write(issue)


# -- readiness -------------------------------------------------------------------------


def probe_writer(db: Database) -> None:
    """/health/ready: take the one writer for an empty transaction.

    Not a command: it changes nothing; it asks whether a write could begin now."""
    db._write(lambda conn: conn.execute("SELECT 1"))


# -- OMS delivery ----------------------------------------------------------------------


def open_sync_cursor(db: Database, at: str) -> sqlite3.Row:
    """The delivery cursor, made the first time the sync worker looks.

    Not a command: delivery bookkeeping, kept by the sync worker alone."""
    return db._write(lambda conn: outbox.cursor_row(conn, at))


def mark_events_delivered(db: Database, seq: int, at: str) -> None:
    """The OMS took every event up to `seq`: the cursor moves.

    Not a command: the events are the floor's facts; where their delivery stands is not."""
    db._write(lambda conn: outbox.mark_delivered(conn, seq, at))


def note_delivery_failed(
    db: Database, answer: Answer, *, settings: Settings, rng: random.Random, retry_now: bool
) -> None:
    """A batch was not taken: count the attempt and set when to try again (backoff).

    Not a command: passing trouble on the link, retried by the worker on its own."""
    now = clock.now()
    db._write(
        lambda conn: outbox.note_failed(
            conn, answer, now, settings=settings, rng=rng, retry_now=retry_now
        )
    )


def stop_delivery(db: Database, seq: int, answer: Answer, at: str) -> None:
    """The OMS refused event `seq`: delivery stops before it until a supervisor retries or
    skips it (those are commands).

    Not a command: the worker records what the OMS answered; nothing is decided here."""
    db._write(lambda conn: outbox.stop_at(conn, seq, answer, at))


# -- print jobs and printers -----------------------------------------------------------


def requeue_interrupted_print_jobs(db: Database) -> int:
    """At start: jobs caught mid-send go again (the printer may not have them).

    Not a command: the print queue's own recovery after a stop."""
    return db._write(printing.requeue_interrupted)


def fail_unprintable_print_jobs(db: Database, settings: Settings, at: str) -> int:
    """At start: jobs for a printer that is gone or disabled fail where people see them.

    Not a command: the print queue's own state; a reprint is the command that follows."""
    return db._write(lambda conn: printing.fail_unprintable(conn, settings, at))


def claim_print_job(db: Database, printer: str, at: str) -> dict[str, Any] | None:
    """The head of a printer's queue, marked as being sent.

    Not a command: the dispatcher (or a station's agent) takes jobs the commands queued."""
    return db._write(lambda conn: printing.claim_next_job(conn, printer, at))


def mark_print_job_done(db: Database, job_id: int, at: str) -> None:
    """The printer took the job.

    Not a command: what the printer said, recorded by the dispatcher."""
    db._write(lambda conn: printing.mark_done(conn, job_id, at))


def mark_print_job_failed(db: Database, job_id: int, error: str, at: str) -> None:
    """The job cannot print (a label that cannot be drawn, a printer error); people see it.

    Not a command: what the printer or renderer said, recorded by the dispatcher."""
    db._write(lambda conn: printing.mark_failed(conn, job_id, error, at))


def retry_print_job_later(
    db: Database, job_id: int, error: str, attempts: int, settings: Settings
) -> str:
    """The printer is away: the job stays queued and goes again after a backoff.

    Not a command: the print queue's retry state."""
    return db._write(lambda conn: printing.mark_retry(conn, job_id, error, attempts, settings))


def release_print_retries(db: Database, printer: str) -> int:
    """A printer that was in a fault answers again: its waiting jobs go at once.

    Not a command: the print queue's retry state."""
    return db._write(lambda conn: printing.release_retries(conn, printer))


def record_printer_state(db: Database, printer: str, state: str, detail: str, at: str) -> bool:
    """What a printer said about itself; True when its state changed (logged once).

    Not a command: device state, reported by the device."""
    return db._write(lambda conn: printing.set_printer_state(conn, printer, state, detail, at))


# -- station agents --------------------------------------------------------------------


def record_agent_heartbeat(
    db: Database,
    settings: Settings,
    station: StationSettings,
    beat: agent_link.Heartbeat,
    at: str,
) -> list[str]:
    """A station agent is alive; how its scanners and printers are.

    Not a command: device state, reported by the agent every few seconds."""
    return db._write(lambda conn: agent_link.record_heartbeat(conn, settings, station, beat, at))


def record_agent_job_result(
    db: Database,
    settings: Settings,
    station: StationSettings,
    job_id: int,
    result: agent_link.JobResult,
    at: str,
) -> agent_link.JobSettled:
    """How a print job claimed by a station's agent went.

    Not a command: what the printer said, relayed by the agent (as the dispatcher does for
    network printers)."""
    return db._write(
        lambda conn: agent_link.record_job_result(conn, settings, station, job_id, result, at)
    )


# -- alerts ----------------------------------------------------------------------------


def note_alerts_seen_again(db: Database, seen: list[tuple[int, alerts.Finding]], at: str) -> None:
    """The alert worker found the same conditions as last time: open alerts get their
    `last_seen_at` and what holds now; nothing is raised or cleared.

    Not a command: no alert changed state, so no event, audit line or key (raising and
    clearing are the `alerts.check` command)."""
    db._write(lambda conn: alerts.note_seen_again(conn, seen, at))
