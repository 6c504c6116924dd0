"""Tariffs, statements and periods.

A statement is computed, never accumulated: `compute_statement` prices the period's facts
(server/billing/facts.py) with the tariff version in force on each fact's day, adds the
minimum top-up (the version in force on the period's last day) and the credits due on
this period, and so gives the same statement every time for the same facts. Closing a
period stores each customer's statement with its lines and their sources; a closed
statement is never edited (the lines table refuses updates and deletes). Re-opening
supersedes the period's statements (they stay); closing again stores the next version.

A tariff version starts on a day and never on a day of a closed period, so a closed
period's prices never change. A disputed line is credited on the customer's statement of
the first period after its own that is still open.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

import msgspec

from server.billing.charges import (
    CATEGORIES,
    CATEGORY_NAMES,
    CHARGE_TYPES,
    CREDIT_CODE,
    MINIMUM_CODE,
    NO_RATE_CODES,
    SERVICE_CODES,
    UNIT_NAMES,
    Names,
    amount_fen,
    charge_type,
)
from server.billing.facts import Period, derive_facts, month_period
from server.billing.schemas import (
    ChargeTypeOut,
    CitingLine,
    CreditLine,
    CreditOut,
    LineSource,
    LineSources,
    NamesOut,
    PeriodReopened,
    PeriodState,
    Rate,
    ServiceRecord,
    ServiceRecorded,
    SourceOut,
    Statement,
    StatementClosed,
    StatementLine,
    StatementSummary,
    Subtotal,
    SupersededStatement,
    TariffSet,
    TariffVersion,
    TraceTarget,
)
from server.commands import CommandContext, append_event
from server.error_codes import ERR
from server.masterdata.lookups import customer_by_code

S = TypeVar("S", bound=msgspec.Struct)

# -- tariffs -----------------------------------------------------------------------------


def _names(names: Names) -> NamesOut:
    return NamesOut(zh=names.zh, en=names.en)


def charge_types() -> list[ChargeTypeOut]:
    """Every charge a statement line can be, those a tariff prices first, with the names the
    pages show (they keep none of their own)."""
    return [
        ChargeTypeOut(
            code=t.code,
            category=t.category,
            unit=t.unit,
            description=t.description,
            scale=t.scale,
            priced=priced,
            name=_names(t.names),
            category_name=_names(CATEGORY_NAMES[t.category]),
            unit_name=_names(UNIT_NAMES[t.unit]),
        )
        for types, priced in ((CHARGE_TYPES, True), (NO_RATE_CODES, False))
        for t in types.values()
    ]


def set_tariff(
    conn: sqlite3.Connection, ctx: CommandContext, timezone: str, req: TariffSet
) -> TariffVersion:
    customer_id = customer_by_code(conn, req.customer).id if req.customer else None
    try:
        starts = date.fromisoformat(req.effective_from)
    except ValueError:
        raise ERR.BILLING_DAY_INVALID({"day": req.effective_from}) from None
    closed = last_closed_period(conn)
    if closed is not None and req.effective_from[:7] <= closed:
        raise ERR.BILLING_PERIOD_CLOSED({"period": closed, "effective_from": str(starts)})
    codes = [r.charge_code for r in req.rates]
    unknown = sorted(set(codes) - set(CHARGE_TYPES))
    if unknown:
        raise ERR.BILLING_CHARGE_UNKNOWN({"charge_code": unknown[0]})
    if len(set(codes)) != len(codes):
        raise ERR.BILLING_RATE_TWICE({"charge_code": next(c for c in codes if codes.count(c) > 1)})
    exists = conn.execute(
        "SELECT 1 FROM billing_tariffs WHERE COALESCE(customer_id, 0) = ? AND effective_from = ?",
        (customer_id or 0, req.effective_from),
    ).fetchone()
    if exists and not req.customer:
        raise ERR.BILLING_DEFAULT_TARIFF_EXISTS({"effective_from": req.effective_from})
    if exists:
        raise ERR.BILLING_TARIFF_EXISTS(
            {"customer": req.customer, "effective_from": req.effective_from}
        )
    cur = conn.execute(
        "INSERT INTO billing_tariffs (customer_id, effective_from, minimum_fen, reason, "
        "created_by, created_at, command_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            customer_id,
            req.effective_from,
            req.minimum_fen,
            req.reason,
            ctx.actor.label,
            ctx.at,
            ctx.key,
        ),
    )
    tariff_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO billing_tariff_rates (tariff_id, charge_code, unit, rate_fen) "
        "VALUES (?, ?, ?, ?)",
        [
            (tariff_id, r.charge_code, CHARGE_TYPES[r.charge_code].unit, r.rate_fen)
            for r in req.rates
        ],
    )
    ctx.audit_target = f"tariff:{req.customer or '*'}:{req.effective_from}"
    return tariff_versions(conn, req.customer, tariff_id=tariff_id)[0]


def tariff_versions(
    conn: sqlite3.Connection, customer: str, *, tariff_id: int | None = None
) -> list[TariffVersion]:
    """A customer's versions (empty code: the site default's), newest first."""
    customer_id = customer_by_code(conn, customer).id if customer else 0
    rows = conn.execute(
        "SELECT t.id, COALESCE(c.code, '') AS customer, t.effective_from, t.minimum_fen, "
        "t.reason, t.created_by, t.created_at FROM billing_tariffs t "
        "LEFT JOIN customers c ON c.id = t.customer_id "
        "WHERE COALESCE(t.customer_id, 0) = ? AND (? IS NULL OR t.id = ?) "
        "ORDER BY t.effective_from DESC",
        (customer_id, tariff_id, tariff_id),
    ).fetchall()
    return [
        TariffVersion(
            id=r["id"],
            customer=r["customer"],
            effective_from=r["effective_from"],
            minimum_fen=r["minimum_fen"],
            rates=_rates(conn, r["id"]),
            reason=r["reason"],
            created_by=r["created_by"],
            created_at=r["created_at"],
        )
        for r in rows
    ]


def _rates(conn: sqlite3.Connection, tariff_id: int) -> list[Rate]:
    return [
        Rate(charge_code=r[0], unit=r[1], rate_fen=r[2])
        for r in conn.execute(
            "SELECT charge_code, unit, rate_fen FROM billing_tariff_rates WHERE tariff_id = ? "
            "ORDER BY charge_code",
            (tariff_id,),
        )
    ]


class TariffBook:
    """The versions that may price a customer's days: its own, else the site default's."""

    def __init__(self, conn: sqlite3.Connection, customer_id: int) -> None:
        rows = conn.execute(
            "SELECT id, customer_id, effective_from, minimum_fen FROM billing_tariffs "
            "WHERE customer_id = ? OR customer_id IS NULL ORDER BY effective_from",
            (customer_id,),
        ).fetchall()
        self._own = [r for r in rows if r["customer_id"] is not None]
        self._default = [r for r in rows if r["customer_id"] is None]
        self._rates: dict[int, dict[str, int]] = defaultdict(dict)
        for tariff_id, code, rate in conn.execute(
            "SELECT tariff_id, charge_code, rate_fen FROM billing_tariff_rates WHERE tariff_id "
            "IN (SELECT id FROM billing_tariffs WHERE customer_id = ? OR customer_id IS NULL)",
            (customer_id,),
        ):
            self._rates[tariff_id][code] = rate

    def _in_force(self, day: str) -> sqlite3.Row | None:
        for versions in (self._own, self._default):
            found = [v for v in versions if v["effective_from"] <= day]
            if found:
                return found[-1]
        return None

    def rate(self, day: str, code: str) -> int | None:
        version = self._in_force(day)
        return None if version is None else self._rates[version["id"]].get(code)

    def minimum(self, day: str) -> int:
        version = self._in_force(day)
        return 0 if version is None else int(version["minimum_fen"])


# -- statements --------------------------------------------------------------------------


def compute_statements(
    conn: sqlite3.Connection, period: Period, customer_ids: list[int]
) -> dict[int, Statement]:
    """Each customer's statement of the period, priced, as closing would store it."""
    codes = dict(conn.execute("SELECT id, code FROM customers"))
    active = {r[0] for r in conn.execute("SELECT id FROM customers WHERE active")}
    facts = derive_facts(conn, period, customer_ids)
    statements = {}
    for customer_id in customer_ids:
        book = TariffBook(conn, customer_id)
        lines: list[StatementLine] = []
        for (day, code), fact in facts[customer_id].items():
            rate = book.rate(day, code)
            if rate is None:
                continue
            kind = CHARGE_TYPES[code]
            lines.append(
                StatementLine(
                    line_no=0,
                    id=None,
                    day=day,
                    category=kind.category,
                    charge_code=code,
                    unit=kind.unit,
                    quantity=fact.quantity,
                    rate_fen=rate,
                    amount_fen=amount_fen(fact.quantity, rate, kind.scale),
                    sources=[SourceOut(kind=k, ref=r) for k, r in sorted(fact.sources)],
                )
            )
        lines.sort(key=lambda x: (CATEGORIES.index(x.category), x.charge_code, x.day))
        charges = _checked_sum(lines, codes[customer_id])
        last_day = period.days[-1].isoformat()
        # A customer no longer served (deactivated) owes no minimum for a month it used
        # nothing in; one that still had charges in it pays up to the month's minimum.
        owes_minimum = customer_id in active or charges > 0
        topup = max(0, book.minimum(last_day) - charges) if owes_minimum else 0
        if topup:
            lines.append(_extra_line(MINIMUM_CODE, last_day, topup, "", []))
        credits = 0
        for line_id, amount, reason in conn.execute(
            "SELECT line_id, amount_fen, reason FROM billing_credits "
            "WHERE customer_id = ? AND apply_period = ? ORDER BY id",
            (customer_id, period.name),
        ):
            credits += amount
            src = [SourceOut(kind="statement_line", ref=str(line_id))]
            lines.append(_extra_line(CREDIT_CODE, last_day, -amount, reason, src))
        for n, line in enumerate(lines, 1):
            line.line_no = n
        statements[customer_id] = Statement(
            id=None,
            period=period.name,
            customer=codes[customer_id],
            version=0,
            state="preview",
            lines=lines,
            subtotals=_subtotals(lines),
            charges_fen=charges,
            minimum_fen=topup,
            credits_fen=credits,
            total_fen=charges + topup - credits,
        )
    return statements


MAX_FEN = 2**53 - 1
"""The most a line, or a statement's charges, may come to: the largest integer a browser's
JSON number holds exactly (the pages show the stored fen), well inside SQLite's 64 bits.
Only an absurd rate (10^12 fen a unit) or quantity goes past it."""


def _checked_sum(lines: list[StatementLine], customer: str) -> int:
    """The lines' sum, refused with the line that takes it (or itself) past MAX_FEN: a
    statement the database cannot store or a page cannot show exactly is a tariff's error."""
    total = 0
    for line in lines:
        total += line.amount_fen
        if line.quantity > MAX_FEN or line.amount_fen > MAX_FEN or total > MAX_FEN:
            raise ERR.BILLING_AMOUNT_TOO_LARGE(
                {"customer": customer, "charge_code": line.charge_code, "day": line.day}
            )
    return total


def _extra_line(
    code: str, day: str, amount: int, note: str, sources: list[SourceOut]
) -> StatementLine:
    kind = charge_type(code)
    return StatementLine(
        line_no=0,
        id=None,
        day=day,
        category=kind.category,
        charge_code=code,
        unit=kind.unit,
        quantity=1,
        rate_fen=amount,
        amount_fen=amount,
        note=note,
        sources=sources,
    )


def _subtotals(lines: list[StatementLine]) -> list[Subtotal]:
    sums: dict[str, int] = defaultdict(int)
    for line in lines:
        sums[line.category] += line.amount_fen
    return [Subtotal(category=c, amount_fen=sums[c]) for c in CATEGORIES if c in sums]


def preview_statement(
    conn: sqlite3.Connection, timezone: str, period: str, customer: str
) -> Statement:
    customer_id = customer_by_code(conn, customer).id
    return compute_statements(conn, month_period(period, timezone), [customer_id])[customer_id]


# -- periods -----------------------------------------------------------------------------


def last_closed_period(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT MAX(period) FROM billing_periods WHERE state = 'closed'").fetchone()
    return row[0] if row else None


def period_state(conn: sqlite3.Connection, period: str) -> str:
    row = conn.execute("SELECT state FROM billing_periods WHERE period = ?", (period,)).fetchone()
    return row[0] if row else "open"


def send_statement_closed(
    conn: sqlite3.Connection, ctx: CommandContext, statement_id: int, st: Statement
) -> StatementSummary:
    """The `billing.statement_closed` event of a statement just closed, and its summary."""
    period, customer_id, version = conn.execute(
        "SELECT period, customer_id, version FROM billing_statements WHERE id = ?",
        (statement_id,),
    ).fetchone()
    previous = conn.execute(
        "SELECT id FROM billing_statements WHERE period = ? AND customer_id = ? AND version < ? "
        "ORDER BY version DESC LIMIT 1",
        (period, customer_id, version),
    ).fetchone()
    append_event(
        conn,
        ctx,
        "billing.statement_closed",
        StatementClosed(
            statement=statement_id,
            period=st.period,
            customer=st.customer,
            version=version,
            subtotals=st.subtotals,
            charges_fen=st.charges_fen,
            minimum_fen=st.minimum_fen,
            credits_fen=st.credits_fen,
            total_fen=st.total_fen,
            line_count=len(st.lines),
            supersedes=previous[0] if previous else None,
        ),
    )
    return StatementSummary(
        id=statement_id,
        period=st.period,
        customer=st.customer,
        version=version,
        state="closed",
        total_fen=st.total_fen,
        closed_by=ctx.actor.label,
        closed_at=ctx.at,
    )


def reopen_period(
    conn: sqlite3.Connection, ctx: CommandContext, period_name: str, reason: str
) -> PeriodState:
    """Open a closed period again: its statements are superseded, not edited."""
    if period_state(conn, period_name) != "closed":
        raise ERR.BILLING_PERIOD_NOT_CLOSED({"period": period_name})
    later = conn.execute(
        "SELECT MIN(period) FROM billing_periods WHERE state = 'closed' AND period > ?",
        (period_name,),
    ).fetchone()[0]
    if later:
        # Its credits and prices may depend on this one: re-open from the latest back.
        raise ERR.BILLING_LATER_PERIOD_CLOSED({"period": period_name, "later": later})
    superseded = [
        SupersededStatement(customer=r[0], statement=r[1], version=r[2])
        for r in conn.execute(
            "UPDATE billing_statements SET state = 'superseded' "
            "WHERE period = ? AND state = 'closed' RETURNING "
            "(SELECT code FROM customers WHERE id = customer_id), id, version",
            (period_name,),
        ).fetchall()
    ]
    superseded.sort(key=lambda s: s.customer)
    # The OMS holds the statements the close sent: they no longer stand.
    append_event(
        conn,
        ctx,
        "billing.period_reopened",
        PeriodReopened(
            period=period_name,
            reason=reason,
            reopened_by=ctx.actor.label,
            superseded=superseded,
        ),
    )
    ctx.audit_target = f"billing_period:{period_name}"
    return set_period(conn, ctx, period_name, "open", reason)


def set_period(
    conn: sqlite3.Connection, ctx: CommandContext, period: str, state: str, reason: str
) -> PeriodState:
    conn.execute(
        "INSERT INTO billing_periods (period, state, changed_by, changed_at, reason) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (period) DO UPDATE SET state = excluded.state, "
        "changed_by = excluded.changed_by, changed_at = excluded.changed_at, "
        "reason = excluded.reason, closing_key = NULL",
        (period, state, ctx.actor.label, ctx.at, reason),
    )
    return PeriodState(
        period=period,
        state="open" if state == "open" else "closed",
        changed_by=ctx.actor.label,
        changed_at=ctx.at,
        reason=reason,
    )


def list_periods(conn: sqlite3.Connection) -> list[PeriodState]:
    return [
        PeriodState(
            period=r[0],
            state=r[1],
            changed_by=r[2],
            changed_at=r[3],
            reason=r[4],
            closing=r[5] is not None,
        )
        for r in conn.execute(
            "SELECT period, state, changed_by, changed_at, reason, closing_key "
            "FROM billing_periods "
            "ORDER BY period DESC"
        )
    ]


# -- credits and services ----------------------------------------------------------------


def credit_line(conn: sqlite3.Connection, ctx: CommandContext, req: CreditLine) -> CreditOut:
    line = conn.execute(
        "SELECT l.amount_fen, l.category, l.charge_code, l.day, s.period, s.customer_id, "
        "s.state, c.code "
        "FROM billing_statement_lines l JOIN billing_statements s ON s.id = l.statement_id "
        "JOIN customers c ON c.id = s.customer_id WHERE l.id = ?",
        (req.line_id,),
    ).fetchone()
    if line is None:
        raise ERR.BILLING_LINE_NOT_FOUND({"line_id": req.line_id})
    if line["state"] != "closed" or line["category"] == "credit":
        raise ERR.BILLING_LINE_NOT_CREDITABLE({"line_id": req.line_id})
    # What was credited on this charge of this day, on this line or on the same line of a
    # version the period's re-opening superseded (that credit still stands): else a line
    # credited, its period re-opened and closed again, could be credited once more.
    credited = conn.execute(
        "SELECT COALESCE(SUM(x.amount_fen), 0) FROM billing_credits x "
        "JOIN billing_statement_lines l ON l.id = x.line_id "
        "JOIN billing_statements s ON s.id = l.statement_id "
        "WHERE s.period = ? AND s.customer_id = ? AND l.charge_code = ? AND l.day = ?",
        (line["period"], line["customer_id"], line["charge_code"], line["day"]),
    ).fetchone()[0]
    left = line["amount_fen"] - credited
    amount = left if req.amount_fen is None else req.amount_fen
    if amount <= 0 or amount > left:
        raise ERR.BILLING_CREDIT_TOO_LARGE({"line_id": req.line_id, "left_fen": left})
    apply_period = _next_open_period(conn, line["period"])
    cur = conn.execute(
        "INSERT INTO billing_credits (line_id, customer_id, amount_fen, apply_period, reason, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            req.line_id,
            line["customer_id"],
            amount,
            apply_period,
            req.reason,
            ctx.actor.label,
            ctx.at,
        ),
    )
    ctx.audit_target = f"billing_line:{req.line_id}"
    return CreditOut(
        id=int(cur.lastrowid or 0),
        line_id=req.line_id,
        customer=line["code"],
        amount_fen=amount,
        apply_period=apply_period,
        reason=req.reason,
    )


def _next_open_period(conn: sqlite3.Connection, period: str) -> str:
    closed = {
        r[0] for r in conn.execute("SELECT period FROM billing_periods WHERE state = 'closed'")
    }
    year, month = int(period[:4]), int(period[5:7])
    while True:
        year, month = year + month // 12, month % 12 + 1
        name = f"{year:04d}-{month:02d}"
        if name not in closed:
            return name


def record_service(
    conn: sqlite3.Connection, ctx: CommandContext, req: ServiceRecord
) -> ServiceRecorded:
    if req.charge_code not in SERVICE_CODES:
        raise ERR.BILLING_CHARGE_UNKNOWN({"charge_code": req.charge_code})
    customer_id = customer_by_code(conn, req.customer, active_only=True).id
    cur = conn.execute(
        "INSERT INTO billing_services (customer_id, charge_code, quantity, document, note, "
        "done_by, done_at, command_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            customer_id,
            req.charge_code,
            req.quantity,
            req.document,
            req.note,
            ctx.actor.label,
            ctx.at,
            ctx.key,
        ),
    )
    ctx.audit_target = f"customer:{req.customer}"
    return ServiceRecorded(
        id=int(cur.lastrowid or 0),
        customer=req.customer,
        charge_code=req.charge_code,
        quantity=req.quantity,
        done_at=ctx.at,
    )


# -- stored statements -------------------------------------------------------------------


def _structs(kind: type[S], rows: Iterable[Sequence[Any]]) -> list[S]:
    """Rows whose columns are `kind`'s fields, in its order, as `kind`s."""
    names = kind.__struct_fields__
    return [kind(**dict(zip(names, row, strict=True))) for row in rows]


def list_statements(
    conn: sqlite3.Connection, period: str = "", customer: str = ""
) -> list[StatementSummary]:
    rows = conn.execute(
        "SELECT s.id, s.period, c.code, s.version, s.state, s.total_fen, s.closed_by, "
        "s.closed_at FROM billing_statements s JOIN customers c ON c.id = s.customer_id "
        "WHERE s.state != 'closing' AND (? = '' OR s.period = ?) AND (? = '' OR c.code = ?) "
        "ORDER BY s.period DESC, c.code, s.version DESC",
        (period, period, customer, customer),
    )
    return _structs(StatementSummary, rows)


def stored_statement(
    conn: sqlite3.Connection, statement_id: int, *, with_sources: bool = False
) -> Statement:
    head = conn.execute(
        "SELECT s.*, c.code FROM billing_statements s JOIN customers c ON c.id = s.customer_id "
        "WHERE s.id = ? AND s.state != 'closing'",
        (statement_id,),
    ).fetchone()
    if head is None:
        raise ERR.BILLING_STATEMENT_NOT_FOUND({"statement_id": statement_id})
    sources: dict[int, list[SourceOut]] = defaultdict(list)
    if with_sources:
        for line_id, kind, ref in conn.execute(
            "SELECT s.line_id, s.kind, s.ref FROM billing_line_sources s "
            "JOIN billing_statement_lines l ON l.id = s.line_id WHERE l.statement_id = ? "
            "ORDER BY s.line_id, s.kind, s.ref",
            (statement_id,),
        ):
            sources[line_id].append(SourceOut(kind=kind, ref=ref))
    lines = [
        StatementLine(
            line_no=r["line_no"],
            id=r["id"],
            day=r["day"],
            category=r["category"],
            charge_code=r["charge_code"],
            unit=r["unit"],
            quantity=r["quantity"],
            rate_fen=r["rate_fen"],
            amount_fen=r["amount_fen"],
            note=r["note"],
            sources=sources[r["id"]] if with_sources else None,
        )
        for r in conn.execute(
            "SELECT * FROM billing_statement_lines WHERE statement_id = ? ORDER BY line_no",
            (statement_id,),
        )
    ]
    return Statement(
        id=statement_id,
        period=head["period"],
        customer=head["code"],
        version=head["version"],
        state=head["state"],
        lines=lines,
        subtotals=_subtotals(lines),
        charges_fen=head["charges_fen"],
        minimum_fen=head["minimum_fen"],
        credits_fen=head["credits_fen"],
        total_fen=head["total_fen"],
    )


def lines_citing(conn: sqlite3.Connection, kind: str, refs: list[str]) -> list[CitingLine]:
    """The stored lines the facts are a source of: the way back from the trace to the bill."""
    marks = ",".join("?" * len(refs))
    rows = conn.execute(
        "SELECT s.id, s.period, c.code, s.version, s.state, l.id, l.line_no, l.day, "
        "l.charge_code, l.amount_fen, x.ref FROM billing_line_sources x "
        "JOIN billing_statement_lines l ON l.id = x.line_id "
        "JOIN billing_statements s ON s.id = l.statement_id "
        "JOIN customers c ON c.id = s.customer_id "
        f"WHERE x.kind = ? AND x.ref IN ({marks}) AND s.state != 'closing' "
        "ORDER BY x.ref, s.period, s.version, l.line_no",
        (kind, *refs),
    )
    return _structs(CitingLine, rows)


def line_sources(
    conn: sqlite3.Connection, statement_id: int, line_no: int, limit: int = 200
) -> LineSources:
    """A stored line's facts, the first `limit` of them, each with its trace page."""
    statement = stored_statement(conn, statement_id)
    line = next((x for x in statement.lines if x.line_no == line_no), None)
    if line is None or line.id is None:
        raise ERR.BILLING_LINE_NOT_FOUND({"line_id": f"{statement_id}/{line_no}"})
    total = conn.execute(
        "SELECT COUNT(*) FROM billing_line_sources WHERE line_id = ?", (line.id,)
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT kind, ref FROM billing_line_sources WHERE line_id = ? ORDER BY kind, ref LIMIT ?",
        (line.id, limit),
    ).fetchall()
    movements = _movement_traces([int(r[1]) for r in rows if r[0] == "movement"], conn)
    sources = []
    for kind, ref in rows:
        trace: TraceTarget | None = None
        if kind in ("location", "order"):
            trace = TraceTarget(kind=kind, value=ref, customer=statement.customer)
        elif kind == "movement":
            trace = movements.get(int(ref))
        sources.append(LineSource(kind=kind, ref=ref, trace=trace))
    return LineSources(statement=statement_id, line=line, total=total, sources=sources)


def _movement_traces(ids: list[int], conn: sqlite3.Connection) -> dict[int, TraceTarget]:
    """A movement is shown in its lot's history (its SKU's, without a lot)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {
        r[0]: TraceTarget(kind="lot" if r[3] else "sku", value=r[3] or r[1], customer=r[2])
        for r in conn.execute(
            "SELECT m.id, s.code, c.code, m.lot FROM movements m JOIN skus s ON s.id = m.sku_id "
            f"JOIN customers c ON c.id = m.customer_id WHERE m.id IN ({marks})",
            ids,
        )
    }


CSV_HEADER = (
    "line",
    "day",
    "category",
    "charge_code",
    "unit",
    "quantity",
    "scale",
    "rate_fen",
    "amount_fen",
    "note",
)


def _spreadsheet_text(text: str) -> str:
    """A note (a credit's reason, typed by a person) that a spreadsheet would run as a
    formula is quoted with a leading apostrophe, as the other CSVs here do: the owner's
    accountant opens the statement in one."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def statement_csv(statement: Statement) -> str:
    """The statement's lines, then a subtotal row per category and the total (fen)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for x in statement.lines:
        scale = charge_type(x.charge_code).scale
        writer.writerow(
            (
                x.line_no,
                x.day,
                x.category,
                x.charge_code,
                x.unit,
                x.quantity,
                scale,
                x.rate_fen,
                x.amount_fen,
                _spreadsheet_text(x.note),
            )
        )
    for sub in statement.subtotals:
        writer.writerow(("subtotal", "", sub.category, "", "", "", "", "", sub.amount_fen, ""))
    writer.writerow(
        (
            "total",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            statement.total_fen,
            f"{statement.customer} {statement.period} v{statement.version}",
        )
    )
    return out.getvalue()
