"""Periods and statements: closing freezes each customer's statement (and tells the OMS),
a closed statement is never edited, re-opening supersedes it, tariffs never reach back
into a closed period, a disputed line is credited on the next statement, and the monthly
minimum tops the charges up."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
import pytest

from server.billing import service
from server.billing.schemas import CreditLine, PeriodReopened, StatementClosed
from server.db import Database
from server.errors import DomainError
from tests.billing.site import at, close, command, move, preview, seed, set_tariff

DOCK, A1 = 1, 2
RATES = [
    {"charge_code": "storage.location_day.storage", "rate_fen": 50},
    {"charge_code": "inbound.unit", "rate_fen": 10},
]


def _site(db: Database, minimum_fen: int = 0) -> None:
    seed(db)
    set_tariff(
        db, at("2026-01-01"), effective_from="2026-01-01", rates=RATES, minimum_fen=minimum_fen
    )
    move(db, at("2026-11-03"), "receive", 1, 10, None, DOCK)
    move(db, at("2026-11-03", "11:00"), "putaway", 1, 10, DOCK, A1)


def _stored(db: Database, statement_id: int) -> Any:
    return db.read(lambda c: service.stored_statement(c, statement_id, with_sources=True))


def _same_lines(stored: Any, computed: Any) -> None:
    strip = [msgspec.structs.replace(x, id=None) for x in stored.lines]
    assert strip == computed.lines


def test_closing_freezes_each_statement_as_computed_and_tells_the_oms(db: Database) -> None:
    _site(db)
    expected = preview(db, "2026-11")

    closed = close(db, at("2026-12-01", "08:00"), "2026-11")

    [summary] = closed["statements"]  # C2 had no charge: no statement
    assert (summary["customer"], summary["version"], summary["total_fen"]) == (
        "C1",
        1,
        expected.total_fen,
    )
    stored = _stored(db, summary["id"])
    _same_lines(stored, expected)
    assert stored.total_fen == 10 * 10 + 28 * 50
    payload = db.read(
        lambda c: c.execute(
            "SELECT payload FROM events WHERE type = 'billing.statement_closed'"
        ).fetchone()[0]
    )
    event = msgspec.json.decode(payload, type=StatementClosed, strict=True)
    assert (event.statement, event.total_fen, event.line_count) == (
        summary["id"],
        stored.total_fen,
        len(stored.lines),
    )


def test_a_period_closes_only_after_it_ends_and_only_once(db: Database) -> None:
    _site(db)
    with pytest.raises(DomainError) as early:
        close(db, at("2026-11-30", "23:59"), "2026-11")
    assert early.value.code == "BILLING_PERIOD_NOT_OVER"
    close(db, at("2026-12-01", "00:01"), "2026-11", key="close-nov")
    again = close(db, at("2026-12-02"), "2026-11", key="close-nov")  # a replay: same answer
    assert len(again["statements"]) == 1
    with pytest.raises(DomainError) as twice:
        close(db, at("2026-12-02"), "2026-11")
    assert twice.value.code == "BILLING_PERIOD_CLOSED"
    assert (
        db.read(lambda c: c.execute("SELECT COUNT(*) FROM billing_statements").fetchone()[0]) == 1
    )


def test_a_closed_statements_lines_cannot_be_edited(db: Database) -> None:
    _site(db)
    close(db, at("2026-12-01"), "2026-11")
    for sql in (
        "UPDATE billing_statement_lines SET amount_fen = 0",
        "DELETE FROM billing_statement_lines",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="never edited"):
            db._write(lambda c, sql=sql: c.execute(sql))


def test_a_tariff_never_reaches_back_into_a_closed_period(db: Database) -> None:
    _site(db)
    close(db, at("2026-12-01"), "2026-11")
    with pytest.raises(DomainError) as refused:
        set_tariff(db, at("2026-12-02"), effective_from="2026-11-15", rates=RATES)
    assert refused.value.code == "BILLING_PERIOD_CLOSED"
    set_tariff(db, at("2026-12-02"), effective_from="2026-12-01", rates=[])
    assert preview(db, "2026-11").total_fen == 10 * 10 + 28 * 50  # November keeps its prices


def test_reopening_supersedes_and_closing_again_stores_the_next_version(db: Database) -> None:
    _site(db)
    first = close(db, at("2026-12-01"), "2026-11")["statements"][0]
    reopen = command(
        db,
        at("2026-12-02"),
        "billing.reopen_period",
        lambda conn, ctx: service.reopen_period(conn, ctx, "2026-11", "late receipt found"),
    )
    assert (reopen["state"], reopen["reason"]) == ("open", "late receipt found")
    move(db, at("2026-11-20"), "receive", 1, 5, None, DOCK)  # a fact dated in November

    second = close(db, at("2026-12-03"), "2026-11")["statements"][0]

    assert _stored(db, first["id"]).state == "superseded"
    assert _stored(db, first["id"]).total_fen == first["total_fen"]  # kept as it was
    assert second["version"] == 2
    assert second["total_fen"] == first["total_fen"] + 5 * 10


def _events(db: Database, type_: str, struct: Any) -> list[Any]:
    rows = db.read(
        lambda c: c.execute(
            "SELECT payload FROM events WHERE type = ? ORDER BY seq", (type_,)
        ).fetchall()
    )
    return [msgspec.json.decode(r[0], type=struct, strict=True) for r in rows]


def test_reopening_tells_the_oms_which_statements_are_superseded_and_the_next_close_versions(
    db: Database,
) -> None:
    _site(db)
    move(db, at("2026-11-04"), "receive", 2, 3, None, DOCK)  # C2 has a statement too
    first = close(db, at("2026-12-01"), "2026-11")["statements"]
    command(
        db,
        at("2026-12-02"),
        "billing.reopen_period",
        lambda conn, ctx: service.reopen_period(conn, ctx, "2026-11", "late receipt found"),
    )

    [reopened] = _events(db, "billing.period_reopened", PeriodReopened)
    assert (reopened.period, reopened.reason, reopened.reopened_by) == (
        "2026-11",
        "late receipt found",
        "system:bondfloor",
    )
    assert [(s.customer, s.statement, s.version) for s in reopened.superseded] == [
        (s["customer"], s["id"], 1) for s in first
    ]

    close(db, at("2026-12-03"), "2026-11")
    sent = _events(db, "billing.statement_closed", StatementClosed)
    assert [(e.customer, e.version, e.supersedes) for e in sent] == [
        ("C1", 1, None),
        ("C2", 1, None),
        ("C1", 2, first[0]["id"]),
        ("C2", 2, first[1]["id"]),
    ]


def test_reopening_an_older_period_waits_for_the_later_one(db: Database) -> None:
    _site(db)
    close(db, at("2026-12-01"), "2026-11")
    close(db, at("2027-01-01"), "2026-12")
    with pytest.raises(DomainError) as refused:
        command(
            db,
            at("2027-01-02"),
            "billing.reopen_period",
            lambda conn, ctx: service.reopen_period(conn, ctx, "2026-11", "check"),
        )
    assert refused.value.code == "BILLING_LATER_PERIOD_CLOSED"


def _credit(db: Database, line_id: int, amount: int | None, reason: str = "damaged") -> Any:
    req = CreditLine(line_id=line_id, amount_fen=amount, reason=reason)
    return command(
        db,
        at("2026-12-05"),
        "billing.credit_line",
        lambda conn, ctx: service.credit_line(conn, ctx, req),
    )


def test_a_disputed_line_is_credited_on_the_next_statement(db: Database) -> None:
    _site(db)
    statement_id = close(db, at("2026-12-01"), "2026-11")["statements"][0]["id"]
    inbound = next(x for x in _stored(db, statement_id).lines if x.charge_code == "inbound.unit")

    credit = _credit(db, inbound.id, 40, "two cartons were the OMS's own")
    with pytest.raises(DomainError) as too_much:
        _credit(db, inbound.id, 61)
    assert (too_much.value.code, too_much.value.details["left_fen"]) == (
        "BILLING_CREDIT_TOO_LARGE",
        60,
    )

    december = preview(db, "2026-12")
    assert credit["apply_period"] == "2026-12"
    line = next(x for x in december.lines if x.category == "credit")
    assert (line.amount_fen, line.note) == (-40, "two cartons were the OMS's own")
    assert [(s.kind, s.ref) for s in line.sources or []] == [("statement_line", str(inbound.id))]
    assert december.credits_fen == 40
    assert december.total_fen == december.charges_fen - 40
    assert _stored(db, statement_id).lines == _stored(db, statement_id).lines  # unchanged


def test_the_monthly_minimum_tops_the_charges_up(db: Database) -> None:
    _site(db, minimum_fen=5000)
    november = preview(db, "2026-11")
    top = november.lines[-1]
    assert (top.charge_code, top.amount_fen) == ("minimum.topup", 5000 - november.charges_fen)
    assert november.total_fen == 5000
    assert november.minimum_fen == 5000 - november.charges_fen
    assert [(s.category, s.amount_fen) for s in november.subtotals][-1] == (
        "minimum",
        5000 - november.charges_fen,
    )


def test_a_customer_no_longer_served_owes_no_minimum_for_a_month_it_used_nothing_in(
    db: Database,
) -> None:
    _site(db, minimum_fen=5000)  # C1 received and stored goods in November; C2 did nothing
    db._write(lambda conn: conn.execute("UPDATE customers SET active = 0"))  # as an upsert would

    left_mid_month = preview(db, "2026-11", "C1")
    gone = preview(db, "2026-11", "C2")

    assert left_mid_month.total_fen == 5000  # charges that month: the minimum still holds
    assert (gone.lines, gone.total_fen) == ([], 0)
    db._write(lambda conn: conn.execute("UPDATE customers SET active = 1 WHERE id = 2"))
    assert preview(db, "2026-11", "C2").total_fen == 5000  # still served: the minimum
