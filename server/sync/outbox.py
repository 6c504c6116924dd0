"""Delivery of the events journal to the OMS: in sequence order, at least once, never
skipped or reordered.

The cursor (`sync_cursor.delivered_seq`) moves only when the OMS acknowledges a batch
(any 2xx). Each event carries the key `site:epoch:seq`, so the OMS can recognise a
repeat: a batch whose answer was lost is sent again, whole, and must be taken once. The
epoch (server/db/journal_epoch.py) keeps a restored database from reusing a key.

- A network error, a timeout, a 5xx, 408 or 429 is passing trouble: the same batch is
  tried again after an exponential backoff with jitter.
- Any other 4xx is a refusal of the content. The batch is then sent one event at a time
  to find the event refused; delivery stops before it and says so (supervisor page,
  `/health`) until a supervisor retries it or skips it with a reason (audited). Nothing is
  skipped silently.
"""

from __future__ import annotations

import http.client
import random
import sqlite3
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from server import clock, system_writes
from server.clock import stamp
from server.commands import CommandContext, utc_now
from server.config import Secrets, Settings
from server.db import Database
from server.db.journal_epoch import epoch_status
from server.error_codes import ERR
from server.sync.dialects import Answer, Dialect, dialect_for
from server.sync.link_log import LinkStateLog
from server.sync.schemas import Retrying, Skipped

STREAM = "oms"
PASSING = frozenset({408, 425, 429})
"""4xx answers that mean "not now", not "not this"."""


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """One POST; every failure to get an answer is status 0, never an exception."""
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "", parts.port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(2000).decode(errors="replace")
        return Answer(response.status, text)
    except (OSError, http.client.HTTPException) as err:
        return Answer(0, f"{type(err).__name__}: {err}")
    finally:
        conn.close()


def cursor_row(conn: sqlite3.Connection, at: str) -> sqlite3.Row:
    """The delivery cursor, made at `at` if this is the first look."""
    conn.execute(
        "INSERT INTO sync_cursor (stream, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (STREAM, at),
    )
    row = _read_cursor(conn)
    assert row is not None
    return row


def _read_cursor(conn: sqlite3.Connection) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM sync_cursor WHERE stream = ?", (STREAM,)
    ).fetchone()
    return row


def backoff_seconds(attempts: int, settings: Settings, rng: random.Random) -> float:
    """Exponential, capped, with full jitter in its upper half (no thundering retries)."""
    ceiling = min(
        settings.oms.retry_max_seconds, settings.oms.retry_min_seconds * 2 ** max(0, attempts - 1)
    )
    return ceiling * rng.uniform(0.5, 1.0)


class Outbox:
    """One delivery step at a time (`deliver_once`), driven by the sync worker."""

    def __init__(
        self,
        settings: Settings,
        secrets: Secrets | None = None,
        seed: int | None = None,
        dialect: Dialect | None = None,
    ):
        self.settings = settings
        self.dialect = dialect or dialect_for(settings, secrets or Secrets.from_env())
        self.rng = random.Random(seed)
        self._probe_until = 0  # after a refused batch: one event at a time up to here
        self.link_log = LinkStateLog()

    def drain(self, db: Database, most: int = 50) -> str:
        """The worker's step: batches while there are some, up to `most` in a row."""
        outcome = "idle"
        for _ in range(most):
            outcome = self.deliver_once(db)
            if outcome != "sent":
                break
        return outcome

    def deliver_once(self, db: Database) -> str:
        """Send the next batch if its time has come: `sent`, `idle`, `waiting`, `failed`,
        `stopped`."""
        # Read the cursor without taking the one writer; write only to make it the first time.
        cursor = db.read(_read_cursor) or system_writes.open_sync_cursor(db, utc_now())
        if cursor["stopped_seq"] is not None:
            return "stopped"
        if cursor["next_attempt_at"] and cursor["next_attempt_at"] > utc_now():
            return "waiting"
        probing = cursor["delivered_seq"] < self._probe_until
        size = 1 if probing else self.settings.oms.batch_size
        rows = self._pending(db, cursor["delivered_seq"], size)
        if not rows:
            return "idle"
        answer = self._send(db, rows)
        if 200 <= answer.status < 300:
            system_writes.mark_events_delivered(db, rows[-1]["seq"], utc_now())
            self.link_log.delivered()
            return "sent"
        if 400 <= answer.status < 500 and answer.status not in PASSING:
            if len(rows) == 1:
                system_writes.stop_delivery(db, rows[0]["seq"], answer, utc_now())
                self.link_log.stopped(rows[0]["seq"], answer.status, answer.detail)
                return "stopped"
            # Which event is it? One at a time through this batch, until it is found.
            self._probe_until = rows[-1]["seq"]
            self._note_failed(db, answer, retry_now=True)
            return "failed"
        self._note_failed(db, answer, retry_now=False)
        self.link_log.failed(answer.status, answer.detail)
        return "failed"

    def _pending(self, db: Database, after: int, limit: int) -> list[sqlite3.Row]:
        return db.read(
            lambda conn: conn.execute(
                "SELECT seq, epoch, at, type, version, payload FROM events WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (after, limit),
            ).fetchall()
        )

    def _send(self, db: Database, rows: list[sqlite3.Row]) -> Answer:
        """Every call of the batch in order; the first that is not taken is the answer."""
        calls = db.read(lambda conn: self.dialect.calls(conn, rows))
        for call in calls:
            answer = self.dialect.judge(
                post_json(call.url, call.body, call.headers, self.settings.oms.timeout_seconds)
            )
            if not 200 <= answer.status < 300:
                return answer
        return Answer(200, f"{len(calls)} call(s) taken")

    def _note_failed(self, db: Database, answer: Answer, *, retry_now: bool) -> None:
        system_writes.note_delivery_failed(
            db, answer, settings=self.settings, rng=self.rng, retry_now=retry_now
        )


def mark_delivered(conn: sqlite3.Connection, seq: int, at: str) -> None:
    """The OMS took every event up to `seq`."""
    conn.execute(
        "UPDATE sync_cursor SET delivered_seq = MAX(delivered_seq, ?), attempts = 0, "
        "next_attempt_at = '', last_error = '', last_ok_at = ?, updated_at = ? "
        "WHERE stream = ?",
        (seq, at, at, STREAM),
    )


def note_failed(
    conn: sqlite3.Connection,
    answer: Answer,
    now: datetime,
    *,
    settings: Settings,
    rng: random.Random,
    retry_now: bool,
) -> None:
    """A batch not taken: one more attempt, the next after a backoff (or at once)."""
    at = stamp(now)
    cursor = cursor_row(conn, at)
    attempts = cursor["attempts"] + 1
    wait = 0.0 if retry_now else backoff_seconds(attempts, settings, rng)
    next_at = stamp(now + timedelta(seconds=wait))
    error = f"{answer.status or 'no answer'}: {answer.detail}"[:500]
    conn.execute(
        "UPDATE sync_cursor SET attempts = ?, next_attempt_at = ?, last_error = ?, "
        "updated_at = ? WHERE stream = ?",
        (attempts, next_at, error, at, STREAM),
    )


def stop_at(conn: sqlite3.Connection, seq: int, answer: Answer, at: str) -> None:
    """The OMS refused event `seq`: delivery stops before it."""
    conn.execute(
        "UPDATE sync_cursor SET stopped_seq = ?, stopped_error = ?, last_error = ?, "
        "updated_at = ? WHERE stream = ?",
        (seq, f"{answer.status}: {answer.detail}"[:500], f"{answer.status}", at, STREAM),
    )


# -- what supervisors see and do -------------------------------------------------------


def sync_status(conn: sqlite3.Connection, settings: Settings) -> dict[str, Any]:
    """Backlog, lag and the last error, for the supervisor page and `/health`."""
    row = _read_cursor(conn)
    delivered = row["delivered_seq"] if row else 0
    last_seq, oldest_at = conn.execute(
        "SELECT COALESCE(MAX(seq), 0), (SELECT at FROM events WHERE seq > ? ORDER BY seq "
        "LIMIT 1) FROM events",
        (delivered,),
    ).fetchone()
    lag = (
        round((clock.now() - datetime.fromisoformat(oldest_at)).total_seconds(), 1)
        if oldest_at
        else 0.0
    )
    return {
        "enabled": settings.oms.enabled,
        "delivered_seq": delivered,
        "last_seq": last_seq,
        "backlog": last_seq - delivered,
        "lag_seconds": lag,
        "attempts": row["attempts"] if row else 0,
        "next_attempt_at": row["next_attempt_at"] if row else "",
        "last_error": row["last_error"] if row else "",
        "last_ok_at": row["last_ok_at"] if row else None,
        "stopped": None
        if row is None or row["stopped_seq"] is None
        else {"seq": row["stopped_seq"], "error": row["stopped_error"]},
        # Which epoch new events are keyed in, and the last restore (journal_epoch.py).
        **epoch_status(conn),
    }


def retry_stopped(conn: sqlite3.Connection, ctx: CommandContext) -> Retrying:
    """Send the refused event again (the OMS was fixed, or its data was)."""
    row = cursor_row(conn, ctx.at)
    if row["stopped_seq"] is None:
        raise ERR.SYNC_NOT_STOPPED()
    ctx.audit_target = f"event:{row['stopped_seq']}"
    conn.execute(
        "UPDATE sync_cursor SET stopped_seq = NULL, stopped_error = '', attempts = 0, "
        "next_attempt_at = '', updated_at = ? WHERE stream = ?",
        (ctx.at, STREAM),
    )
    return Retrying(retrying_seq=row["stopped_seq"])


def skip_stopped(conn: sqlite3.Connection, ctx: CommandContext, seq: int, reason: str) -> Skipped:
    """Pass over the refused event, with a reason; it is kept and the skip is audited."""
    ctx.audit_target = f"event:{seq}"
    row = cursor_row(conn, ctx.at)
    if row["stopped_seq"] is None:
        raise ERR.SYNC_NOT_STOPPED()
    if row["stopped_seq"] != seq:
        raise ERR.SYNC_STOPPED_ELSEWHERE({"stopped_seq": row["stopped_seq"]}, seq=seq)
    ctx.audit_target = f"event:{seq}"
    conn.execute(
        "INSERT INTO sync_skips (stream, seq, error, reason, skipped_by, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (STREAM, seq, row["stopped_error"], reason, ctx.actor.code, ctx.at),
    )
    conn.execute(
        "UPDATE sync_cursor SET delivered_seq = ?, stopped_seq = NULL, stopped_error = '', "
        "attempts = 0, next_attempt_at = '', last_error = '', updated_at = ? WHERE stream = ?",
        (seq, ctx.at, STREAM),
    )
    return Skipped(skipped_seq=seq, reason=reason)
