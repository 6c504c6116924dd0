"""The station agent's local spool: every scan is on disk before it is sent.

A scan gets the next sequence number in a SQLite file on the station PC and stays there
until the server has answered for it, so a server that is down or unreachable loses no
scan; they go in sequence order when it is back. The key sent with each scan is the
spool's own id (made once, when the file is created) and the sequence number: a scan
sent twice (the answer was lost) is recognised by the server and applied once, and a new
spool file never reuses an old key.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from devices import clock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scanner TEXT NOT NULL,
    code TEXT NOT NULL,
    symbology TEXT NOT NULL DEFAULT '',
    scanned_at TEXT NOT NULL,
    sent_at TEXT,
    outcome TEXT NOT NULL DEFAULT '',
    error_code TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS scans_unsent ON scans (seq) WHERE sent_at IS NULL;
"""


def now_utc() -> str:
    return clock.stamp()


@dataclass(frozen=True)
class SpooledScan:
    seq: int
    key: str
    scanner: str
    code: str
    symbology: str
    scanned_at: str


class Spool:
    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")  # a scan survives a power cut
            self._conn.executescript(_SCHEMA)
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('spool_id', ?)",
                (uuid.uuid4().hex[:16],),
            )
            self.spool_id = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'spool_id'"
            ).fetchone()[0]

    def add(self, scanner: str, code: str, symbology: str = "") -> int:
        """Keep a scan; returns its sequence number."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO scans (scanner, code, symbology, scanned_at) VALUES (?, ?, ?, ?)",
                (scanner, code, symbology, now_utc()),
            )
            return int(cur.lastrowid or 0)

    def next_unsent(self) -> SpooledScan | None:
        """The oldest scan the server has not answered for."""
        with self._lock:
            row = self._conn.execute(
                "SELECT seq, scanner, code, symbology, scanned_at FROM scans "
                "WHERE sent_at IS NULL ORDER BY seq LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return SpooledScan(row[0], f"{self.spool_id}:{row[0]}", row[1], row[2], row[3], row[4])

    def mark_sent(self, seq: int, outcome: str, error_code: str = "") -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE scans SET sent_at = ?, outcome = ?, error_code = ? WHERE seq = ?",
                (now_utc(), outcome, error_code, seq),
            )

    def unsent_count(self) -> int:
        with self._lock:
            return int(
                self._conn.execute("SELECT COUNT(*) FROM scans WHERE sent_at IS NULL").fetchone()[0]
            )

    def scans(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, scanner, code, sent_at, outcome, error_code FROM scans ORDER BY seq"
            ).fetchall()
        keys = ("seq", "scanner", "code", "sent_at", "outcome", "error_code")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def remember(self, key: str, value: Any) -> None:
        """Keep a small value (the station's last configuration) for a start without server."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                "SET value = excluded.value",
                (key, msgspec.json.encode(value).decode()),
            )

    def recall(self, key: str) -> Any:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else msgspec.json.decode(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
