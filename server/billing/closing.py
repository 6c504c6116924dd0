"""Closing a period without holding the site's one writer.

Computing a busy month's statements takes seconds (a walk over the month's movements), and
storing them means hundreds of thousands of source rows: done in one write transaction,
that stopped the floor's scans for 4-6 s. So a close is split (see server/chunked.py):

1. `prepare_close`, on a read-only connection: every customer's statement, and the
   period's *watermark*: what the statements were computed from (each source table's
   highest rowid; the tariffs, the credits due, the SKUs' dimensions and the customers). Facts of an
   ended month are rarely written, but a late correction or an import may be: a row
   added since with a time in the period is one (`facts_changed`, a rowid range read).
2. `ClosePeriodJob`, in chunks of about `[database] bulk_chunk_ms` in the writer: the first
   claims the period (`billing_periods.closing_key`, the job's key) and checks the
   watermark; each chunk then stores a statement's head and lines or a batch of sources,
   with the statement in state 'closing', which no read answers; the last one checks the
   watermark again, marks the statements closed and the period closed and sends the
   events, in one transaction. Facts changed meanwhile refuse the close
   (BILLING_FACTS_CHANGED: close again); a newer close of the same period takes it over
   (its first chunk deletes the 'closing' statements left behind) and the older one is
   refused (BILLING_CLOSE_INTERRUPTED).

A replay of the key of a finished close answers the stored result without computing
(server/declare.py looks the key up before `prepare`). A replay of an unfinished one
(after a crash) computes the statements again (the same facts give the same statements)
and resumes after the last committed chunk.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from server import clock
from server.billing.facts import Period, month_period
from server.billing.schemas import PeriodClosed, Statement, StatementSummary
from server.billing.service import (
    compute_statements,
    period_state,
    send_statement_closed,
    set_period,
)
from server.commands import CommandContext
from server.error_codes import ERR

SOURCES_PER_INSERT = 500
"""Sources inserted per executemany between looks at the chunk's deadline."""

_SOURCE_TABLES = [
    ("movements", "at"),
    ("receipt_scans", "at"),
    ("delivery_plans", "closed_at"),
    ("print_jobs", "created_at"),
    ("order_tasks", "done_at"),
    ("count_tasks", "submitted_at"),
    ("billing_services", "done_at"),
]
"""The tables facts come from, with the time that puts a row in a period. Their times are
the site clock's when the row is written or finished, so once a month has ended only a
row added since (a late import, a correction) can fall in it."""


@dataclass(frozen=True)
class Watermark:
    """What a period's statements were computed from: each source table's highest rowid,
    and the few small things that price facts (tariffs, credits due, SKU sizes, customers)."""

    highest: dict[str, int]
    pricing: list[Any]


def _pricing(conn: sqlite3.Connection, period: Period) -> list[Any]:
    return [
        list(conn.execute("SELECT COUNT(*), MAX(id) FROM billing_tariffs").fetchone()),
        list(
            conn.execute(
                "SELECT COUNT(*), MAX(id), TOTAL(amount_fen) FROM billing_credits "
                "WHERE apply_period = ?",
                (period.name,),
            ).fetchone()
        ),
        list(
            conn.execute(
                "SELECT COUNT(*), TOTAL(length_mm * width_mm * height_mm), "
                "TOTAL(units_per_pallet) FROM skus"
            ).fetchone()
        ),
        # who is billed, and who owes the monthly minimum (a customer no longer served)
        list(conn.execute("SELECT COUNT(*), MAX(id), TOTAL(active) FROM customers").fetchone()),
    ]


def period_watermark(conn: sqlite3.Connection, period: Period) -> Watermark:
    """Taken in the snapshot the statements are computed in. Cheap: a table's highest
    rowid is one step down its b-tree."""
    highest = {
        table: conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
        for table, _at in _SOURCE_TABLES
    }
    return Watermark(highest, _pricing(conn, period))


def facts_changed(conn: sqlite3.Connection, period: Period, mark: Watermark) -> bool:
    """Whether a fact of the period was added or a price changed since `mark`: only the
    rows written since are read (a rowid range), so this is quick in the writer."""
    for table, at in _SOURCE_TABLES:
        added = conn.execute(
            f"SELECT 1 FROM {table} WHERE rowid > ? AND {at} >= ? AND {at} < ? LIMIT 1",
            (mark.highest[table], period.start, period.end),
        ).fetchone()
        if added is not None:
            return True
    return _pricing(conn, period) != mark.pricing


@dataclass
class PreparedClose:
    period: Period
    customer_ids: list[int]
    statements: dict[int, Statement]
    watermark: Watermark


def prepare_close(conn: sqlite3.Connection, timezone: str, period_name: str) -> PreparedClose:
    """The statements closing would store and the watermark of the facts they come from,
    read in one snapshot on a read-only connection."""

    period = month_period(period_name, timezone)
    customer_ids = [r[0] for r in conn.execute("SELECT id FROM customers ORDER BY id")]
    watermark = period_watermark(conn, period)
    statements = compute_statements(conn, period, customer_ids)
    return PreparedClose(period, customer_ids, statements, watermark)


class ClosePeriodJob:
    """The writes of a close, in short chunks (server.chunked.ChunkedJob)."""

    def __init__(self, prepared: PreparedClose, timezone: str) -> None:
        self.prepared = prepared
        self.timezone = timezone
        self.to_store = [
            (customer_id, st) for customer_id, st in prepared.statements.items() if st.lines
        ]
        self._sources_of: dict[int, list[tuple[int, str, str]]] = {}
        self._began = False  # False: a replay resumes a job an earlier process began

    @property
    def name(self) -> str:
        return self.prepared.period.name

    def begin(self, conn: sqlite3.Connection, ctx: CommandContext) -> dict[str, Any]:
        period = self.prepared.period
        if period_state(conn, self.name) == "closed":
            raise ERR.BILLING_PERIOD_CLOSED({"period": self.name})
        if clock.today(self.timezone) <= period.days[-1]:
            raise ERR.BILLING_PERIOD_NOT_OVER({"period": self.name})
        self._check_facts(conn)
        _give_up_earlier_close(conn, self.name)
        conn.execute(
            "INSERT INTO billing_periods (period, state, changed_by, changed_at, closing_key) "
            "VALUES (?, 'open', ?, ?, ?) "
            "ON CONFLICT (period) DO UPDATE SET closing_key = excluded.closing_key",
            (self.name, ctx.actor.label, ctx.at, ctx.key),
        )
        self._began = True
        mark = self.prepared.watermark
        return {
            "audit_target": f"billing_period:{self.name}",
            # what the chunks stored so far were computed from, for a resume (see `step`)
            "watermark": {"highest": mark.highest, "pricing": mark.pricing},
            "stored": [],  # statement ids stored so far, in `to_store` order
            "sources_done": 0,  # of the statement being stored (the last in `stored`)
        }

    def step(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any], deadline: float
    ) -> bool:
        self._check_claim(conn, ctx)
        if not self._began:
            # A replay after a crash computed the statements again: the chunks stored before
            # it came from the first computation, so a fact of the month added since then
            # would mix two computations in one close (and their lines' sources).
            first = state.get("watermark")
            mark = first and Watermark(first["highest"], first["pricing"])
            if mark and facts_changed(conn, self.prepared.period, mark):
                raise ERR.BILLING_FACTS_CHANGED({"period": self.name})
            self._began = True
        while True:
            stored: list[int] = state["stored"]
            if stored and state["sources_done"] < len(self._sources(len(stored) - 1)):
                self._store_sources(conn, state, deadline)
            elif len(stored) < len(self.to_store):
                customer_id, st = self.to_store[len(stored)]
                stored.append(_store_head_and_lines(conn, ctx, customer_id, st))
                state["sources_done"] = 0
            else:
                return True
            if time.perf_counter() >= deadline:
                return False

    def finish(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any]
    ) -> PeriodClosed:
        self._check_facts(conn)
        summaries: list[StatementSummary] = []
        for statement_id, (_customer_id, st) in zip(state["stored"], self.to_store, strict=True):
            conn.execute(
                "UPDATE billing_statements SET state = 'closed', closed_at = ? WHERE id = ?",
                (ctx.at, statement_id),
            )
            summaries.append(send_statement_closed(conn, ctx, statement_id, st))
        set_period(conn, ctx, self.name, "closed", "")
        ctx.audit_target = state["audit_target"]
        return PeriodClosed(period=self.name, statements=summaries)

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        return len(state["stored"]), len(self.to_store)

    # -- the parts -----------------------------------------------------------------------

    def _check_claim(self, conn: sqlite3.Connection, ctx: CommandContext) -> None:
        row = conn.execute(
            "SELECT closing_key FROM billing_periods WHERE period = ?", (self.name,)
        ).fetchone()
        if row is None or row[0] != ctx.key:
            raise ERR.BILLING_CLOSE_INTERRUPTED({"period": self.name})

    def _check_facts(self, conn: sqlite3.Connection) -> None:
        if facts_changed(conn, self.prepared.period, self.prepared.watermark):
            raise ERR.BILLING_FACTS_CHANGED({"period": self.name})

    def _sources(self, index: int) -> list[tuple[int, str, str]]:
        """The statement's sources as (line_no, kind, ref), in a stable order."""
        if index not in self._sources_of:
            st = self.to_store[index][1]
            self._sources_of[index] = [
                (line.line_no, s.kind, s.ref) for line in st.lines for s in line.sources or []
            ]
        return self._sources_of[index]

    def _store_sources(
        self, conn: sqlite3.Connection, state: dict[str, Any], deadline: float
    ) -> None:
        statement_id = state["stored"][-1]
        line_ids = dict(
            conn.execute(
                "SELECT line_no, id FROM billing_statement_lines WHERE statement_id = ?",
                (statement_id,),
            )
        )
        sources = self._sources(len(state["stored"]) - 1)
        done = state["sources_done"]
        while done < len(sources):
            batch = sources[done : done + SOURCES_PER_INSERT]
            conn.executemany(
                "INSERT INTO billing_line_sources (line_id, kind, ref) VALUES (?, ?, ?)",
                [(line_ids[n], kind, ref) for n, kind, ref in batch],
            )
            done += len(batch)
            if time.perf_counter() >= deadline:
                break
        state["sources_done"] = done


def _give_up_earlier_close(conn: sqlite3.Connection, period: str) -> None:
    """Delete what a close of `period` that never ended stored (taken over, or abandoned)."""
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM billing_statements WHERE period = ? AND state = 'closing'", (period,)
        )
    ]
    for statement_id in ids:
        conn.execute(
            "DELETE FROM billing_line_sources WHERE line_id IN "
            "(SELECT id FROM billing_statement_lines WHERE statement_id = ?)",
            (statement_id,),
        )
        conn.execute("DELETE FROM billing_statement_lines WHERE statement_id = ?", (statement_id,))
        conn.execute("DELETE FROM billing_statements WHERE id = ?", (statement_id,))


def _store_head_and_lines(
    conn: sqlite3.Connection, ctx: CommandContext, customer_id: int, st: Statement
) -> int:
    version = (
        1
        + conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM billing_statements "
            "WHERE period = ? AND customer_id = ?",
            (st.period, customer_id),
        ).fetchone()[0]
    )
    cur = conn.execute(
        "INSERT INTO billing_statements (period, customer_id, version, state, charges_fen, "
        "minimum_fen, credits_fen, total_fen, closed_by, closed_at) "
        "VALUES (?, ?, ?, 'closing', ?, ?, ?, ?, ?, ?)",
        (
            st.period,
            customer_id,
            version,
            st.charges_fen,
            st.minimum_fen,
            st.credits_fen,
            st.total_fen,
            ctx.actor.label,
            ctx.at,
        ),
    )
    statement_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO billing_statement_lines (statement_id, line_no, day, category, "
        "charge_code, unit, quantity, rate_fen, amount_fen, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                statement_id,
                x.line_no,
                x.day,
                x.category,
                x.charge_code,
                x.unit,
                x.quantity,
                x.rate_fen,
                x.amount_fen,
                x.note,
            )
            for x in st.lines
        ],
    )
    return statement_id


def close_in_one_transaction(
    conn: sqlite3.Connection, ctx: CommandContext, timezone: str, period_name: str
) -> PeriodClosed:
    """The whole close inside the caller's transaction (tests, in-process tools): the same
    job, computed on the write connection, every chunk at once."""
    job = ClosePeriodJob(prepare_close(conn, timezone, period_name), timezone)
    state = job.begin(conn, ctx)
    job.step(conn, ctx, state, math.inf)
    return job.finish(conn, ctx, state)
