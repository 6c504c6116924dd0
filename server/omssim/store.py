"""What the simulated OMS has taken: every event once by its key, and every breach of the
delivery promise (a gap, an event out of order, a repeat that says something else).

Order is checked within a journal epoch. A new epoch that starts at or below the last seq
taken is a restore of the floor (docs/events.md, Restores and epochs): noted as a rewind,
not a breach; the older epoch's events stay.

Its own SQLite file, so a stopped and restarted simulator remembers what it took, as an
OMS would.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server import clock

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,  -- the order taken in
    stream TEXT NOT NULL,
    epoch TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL,
    key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    version INTEGER NOT NULL,
    at TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (stream, epoch, seq)
);
CREATE TABLE IF NOT EXISTS rewinds (
    id INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL,
    from_epoch TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repeats (
    key TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS breaches (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('gap', 'out_of_order', 'changed_repeat')),
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    detail TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sent (
    message_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    answer TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Incoming:
    stream: str
    seq: int
    key: str
    type: str
    version: int
    at: str
    payload: str  # JSON text, as received
    epoch: str = ""


def _upgrade(conn: sqlite3.Connection) -> None:
    """A store from before epochs keys its events by (stream, seq): copy them over."""
    columns = [r[1] for r in conn.execute("PRAGMA table_info(events)")]
    if not columns or "epoch" in columns:
        return
    conn.executescript(
        """
        BEGIN IMMEDIATE;
        ALTER TABLE events RENAME TO events_before_epochs;
        """
        + SCHEMA
        + """
        INSERT INTO events (stream, seq, key, type, version, at, payload, received_at)
            SELECT stream, seq, key, type, version, at, payload, received_at
            FROM events_before_epochs ORDER BY rowid;
        DROP TABLE events_before_epochs;
        COMMIT;
        """
    )


def _now() -> str:
    return clock.stamp()


class SimStore:
    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode = WAL")
        _upgrade(self._conn)
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()

    def take(self, events: list[Incoming], *, contiguous: bool = True) -> dict[str, int]:
        """Take a batch in one transaction: new events stored, repeats counted, breaches
        recorded. Returns how many of each. `contiguous`: every seq is expected (the
        webhook sends every event; a dialect that sends only some leaves gaps)."""
        counts = {"new": 0, "repeat": 0, "breach": 0, "changed": 0}
        now = _now()
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                for e in events:
                    kind = self._take_one(conn, e, now, contiguous)
                    counts[kind] += 1
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return counts

    def _take_one(self, conn: sqlite3.Connection, e: Incoming, now: str, contiguous: bool) -> str:
        known = conn.execute("SELECT payload FROM events WHERE key = ?", (e.key,)).fetchone()
        if known is not None:
            conn.execute("INSERT INTO repeats (key, received_at) VALUES (?, ?)", (e.key, now))
            if known["payload"] != e.payload:
                # Dropping it would lose a new event silently: refused by the receiver.
                self._breach(conn, "changed_repeat", e, "a repeat with another payload", now)
                return "changed"
            return "repeat"
        last = conn.execute(
            "SELECT epoch, seq FROM events WHERE stream = ? ORDER BY id DESC LIMIT 1", (e.stream,)
        ).fetchone()
        breach = ""
        if last is not None and e.epoch != last["epoch"] and e.seq <= last["seq"]:
            conn.execute(
                "INSERT INTO rewinds (stream, epoch, seq, from_epoch, last_seq, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (e.stream, e.epoch, e.seq, last["epoch"], last["seq"], now),
            )
        elif last is not None and e.seq <= last["seq"]:
            breach = "out_of_order"
            self._breach(conn, breach, e, f"seq {e.seq} after {last['seq']}", now)
        elif contiguous and last is not None and e.seq > last["seq"] + 1:
            breach = "gap"
            missing = e.seq - last["seq"] - 1
            self._breach(
                conn, breach, e, f"seq {e.seq} after {last['seq']}: {missing} missing", now
            )
        conn.execute(
            "INSERT INTO events (stream, epoch, seq, key, type, version, at, payload, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (e.stream, e.epoch, e.seq, e.key, e.type, e.version, e.at, e.payload, now),
        )
        return "breach" if breach else "new"

    @staticmethod
    def _breach(conn: sqlite3.Connection, kind: str, e: Incoming, detail: str, now: str) -> None:
        conn.execute(
            "INSERT INTO breaches (kind, stream, seq, detail, received_at) VALUES (?, ?, ?, ?, ?)",
            (kind, e.stream, e.seq, detail, now),
        )

    def record_sent(self, message_id: str, path: str, status: int, answer: str) -> str | None:
        """Remember the first answer to a message; returns the earlier answer of a repeat."""
        with self._lock:
            row = self._conn.execute(
                "SELECT answer FROM sent WHERE message_id = ?", (message_id,)
            ).fetchone()
            if row is not None:
                return str(row["answer"])
            self._conn.execute(
                "INSERT INTO sent (message_id, path, status, answer, sent_at) VALUES (?, ?, ?, ?, ?)",
                (message_id, path, status, answer, _now()),
            )
            return None

    def note(self, name: str, value: str) -> str:
        """Keep `value` under `name` unless something is kept there already; returns what
        is kept (a restarted simulator replays the same day)."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO notes (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (name, value),
            )
            row = self._conn.execute("SELECT value FROM notes WHERE name = ?", (name,)).fetchone()
        return str(row["value"])

    def recall(self, name: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM notes WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row["value"])

    def was_sent(self, message_id: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT status FROM sent WHERE message_id = ?", (message_id,)
            ).fetchone()
        return row is not None and 200 <= row["status"] < 300

    def stats(self) -> dict[str, Any]:
        with self._lock:
            conn = self._conn
            streams = {
                r["stream"]: {
                    "events": r["n"],
                    "first_seq": r["lo"],
                    "last_seq": r["hi"],
                    "epochs": r["epochs"],
                }
                for r in conn.execute(
                    "SELECT stream, COUNT(*) AS n, MIN(seq) AS lo, MAX(seq) AS hi, "
                    "COUNT(DISTINCT epoch) AS epochs FROM events GROUP BY stream"
                )
            }
            repeats = conn.execute("SELECT COUNT(*) FROM repeats").fetchone()[0]
            breaches = [dict(r) for r in conn.execute("SELECT * FROM breaches ORDER BY id")]
            rewinds = [dict(r) for r in conn.execute("SELECT * FROM rewinds ORDER BY id")]
            sent = conn.execute("SELECT COUNT(*) FROM sent").fetchone()[0]
        return {
            "streams": streams,
            "repeats": repeats,
            "breaches": breaches,
            "rewinds": rewinds,
            "messages_sent": sent,
        }

    def events(self, stream: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """In the order taken; `after` is the `id` of the last one seen (seqs can repeat
        across epochs)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, stream, epoch, seq, key, type, version, at, payload FROM events "
                "WHERE stream = ? AND id > ? ORDER BY id LIMIT ?",
                (stream, after, limit),
            ).fetchall()
        return [dict(r) for r in rows]

    def close(self) -> None:
        self._conn.close()
