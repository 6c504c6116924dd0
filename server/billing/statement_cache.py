"""The rendered answers of stored statements, kept in memory.

A stored statement never changes once closed: a re-open supersedes it with a new statement
(a new id, the next version) and only its `state` moves from closed to superseded. So its
CSV and JSON bytes can be kept and answered again without reading its 240 lines and
rendering them on every request (at 16 connections that Python work, run under the GIL
beside the event loop, was what pushed the statement's p99 past 100 ms). Nothing is ever
invalidated; the key holds everything the bytes depend on: the database file (a process
may serve or test several), the id, the version, the close's stamp and, for the JSON,
the state. An open period's preview is never stored here: it is computed each time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import msgspec

from server.billing import service
from server.error_codes import ERR

MAX_ENTRIES = 64
"""Rendered statements kept (a CSV or a JSON of 240 lines is ~20-60 KB: a few MB at most)."""


class RenderedCache:
    """A small least-recently-used map from a key to rendered bytes, safe across threads."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        rendered = render()  # outside the lock: two first requests may both render, alike
        with self._lock:
            self._entries[key] = rendered
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return rendered

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


rendered_statements = RenderedCache()


def _key(conn: sqlite3.Connection, statement_id: int) -> tuple[str, int, int, str, str, str, str]:
    """(file, id, version, closed_at, state, customer, period) of a stored statement: one
    indexed row, read in the request's snapshot."""
    head = conn.execute(
        "SELECT s.version, s.closed_at, s.state, c.code, s.period FROM billing_statements s "
        "JOIN customers c ON c.id = s.customer_id WHERE s.id = ? AND s.state != 'closing'",
        (statement_id,),
    ).fetchone()
    if head is None:
        raise ERR.BILLING_STATEMENT_NOT_FOUND({"statement_id": statement_id})
    file = conn.execute("PRAGMA database_list").fetchone()[2]
    return (file, statement_id, head[0], head[1], head[2], head[3], head[4])


def statement_csv(conn: sqlite3.Connection, statement_id: int) -> tuple[str, bytes]:
    """A stored statement's CSV file name and bytes (rendered once per version)."""
    file, sid, version, closed_at, _state, customer, period = _key(conn, statement_id)
    name = f"statement-{customer}-{period}-v{version}.csv"
    body = rendered_statements.get_or_render(
        ("csv", file, sid, version, closed_at),  # the CSV does not show the state
        lambda: service.statement_csv(service.stored_statement(conn, statement_id)).encode(),
    )
    return name, body


def statement_json(conn: sqlite3.Connection, statement_id: int) -> bytes:
    """A stored statement (without its sources) as JSON (rendered once per version and
    state: a superseded one says so)."""
    key = ("json", *_key(conn, statement_id))
    return rendered_statements.get_or_render(
        key, lambda: msgspec.json.encode(service.stored_statement(conn, statement_id))
    )
