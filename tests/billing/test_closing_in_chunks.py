"""Closing a period as its route does: the statements computed on a read-only connection,
then stored in short chunks (the floor's writes get the writer between them), with the
period's facts checked unchanged and a newer close taking an unfinished one over."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from server import clock
from server.billing import closing, service
from server.billing.closing import ClosePeriodJob, prepare_close
from server.chunked import run_chunked_command
from server.commands import SYSTEM, CommandContext
from server.db import Database
from server.errors import DomainError
from tests.billing.site import TZ, at, move, preview, seed, set_tariff

DOCK, A1, A2 = 1, 2, 3
RATES = [
    {"charge_code": "storage.location_day.storage", "rate_fen": 50},
    {"charge_code": "inbound.unit", "rate_fen": 10},
    {"charge_code": "putaway.unit", "rate_fen": 3},
]
AFTER = at("2026-12-01", "08:00")


def _site(db: Database) -> None:
    seed(db)
    set_tariff(db, at("2026-01-01"), effective_from="2026-01-01", rates=RATES)
    for day, sku in (("2026-11-03", 1), ("2026-11-04", 2), ("2026-11-05", 1)):
        move(db, at(day), "receive", sku, 10, None, DOCK)
        move(db, at(day, "11:00"), "putaway", sku, 10, DOCK, A1 if sku == 1 else A2)


def _prepared(db: Database) -> Any:
    return db.read(lambda c: prepare_close(c, TZ, "2026-11"))


def _close_in_chunks(db: Database, key: str, chunk_ms: float = 50.0) -> Any:
    with clock.use(clock.ManualClock(AFTER)):
        job = ClosePeriodJob(_prepared(db), TZ)
        return run_chunked_command(
            db, SYSTEM, "billing.close_period", key, {"period": "2026-11"}, job, chunk_ms=chunk_ms
        ).value


def _begin_and_store_one_statement(db: Database, key: str) -> tuple[ClosePeriodJob, Any]:
    """A close that stopped after its first chunk (a crash, or still running)."""
    job = ClosePeriodJob(_prepared(db), TZ)
    ctx = CommandContext(actor=SYSTEM, key=key)
    with clock.use(clock.ManualClock(AFTER)):
        state = db._write(lambda c: job.begin(c, ctx))
        assert db._write(lambda c: job.step(c, ctx, state, 0.0)) is False
    return job, state


def _statement_rows(db: Database) -> list[tuple[str, int, str]]:
    return db.read(
        lambda c: [
            tuple(r)
            for r in c.execute(
                "SELECT c.code, s.version, s.state FROM billing_statements s "
                "JOIN customers c ON c.id = s.customer_id ORDER BY c.code, s.version"
            )
        ]
    )


def test_a_close_stores_its_statements_in_many_short_chunks_as_computed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _site(db)
    expected = {c: preview(db, "2026-11", c) for c in ("C1", "C2")}
    monkeypatch.setattr(closing, "SOURCES_PER_INSERT", 1)

    closed = _close_in_chunks(db, "close-nov", chunk_ms=0.001)

    chunks = db.read(
        lambda c: c.execute(
            "SELECT details FROM audit WHERE action = 'billing.close_period'"
        ).fetchone()[0]
    )
    sources = sum(len(x.sources or []) for st in expected.values() for x in st.lines)
    # A head and its lines, then one source, per chunk (every chunk let the floor in),
    # then the one that closes the statements and the period.
    assert msgspec.json.decode(chunks)["chunks"] == len(expected) + sources + 1
    assert [s["customer"] for s in closed["statements"]] == ["C1", "C2"]
    for summary in closed["statements"]:
        stored = db.read(
            lambda c, i=summary["id"]: service.stored_statement(c, i, with_sources=True)
        )
        assert [msgspec.structs.replace(x, id=None) for x in stored.lines] == (
            expected[summary["customer"]].lines
        )
        assert stored.state == "closed"
    events = db.read(
        lambda c: c.execute(
            "SELECT COUNT(*) FROM events WHERE type = 'billing.statement_closed'"
        ).fetchone()[0]
    )
    assert events == 2
    assert [p.state for p in db.read(service.list_periods)] == ["closed"]


def test_a_statement_being_stored_is_seen_by_no_read_until_its_close_ends(
    db: Database,
) -> None:
    _site(db)
    _job, state = _begin_and_store_one_statement(db, "close-a")
    [statement_id] = state["stored"]

    assert db.read(lambda c: service.list_statements(c)) == []
    with pytest.raises(DomainError) as hidden:
        db.read(lambda c: service.stored_statement(c, statement_id))
    assert hidden.value.code == "BILLING_STATEMENT_NOT_FOUND"
    [period] = db.read(service.list_periods)
    assert (period.state, period.closing) == ("open", True)


def test_facts_of_the_period_changed_after_the_statements_were_computed_refuse_the_close(
    db: Database,
) -> None:
    _site(db)
    job = ClosePeriodJob(_prepared(db), TZ)
    move(db, at("2026-11-20"), "receive", 1, 5, None, DOCK)  # a late import into November

    with clock.use(clock.ManualClock(AFTER)), pytest.raises(DomainError) as refused:
        run_chunked_command(db, SYSTEM, "billing.close_period", "close-1", ["2026-11"], job)

    assert refused.value.code == "BILLING_FACTS_CHANGED"
    assert _statement_rows(db) == []
    _close_in_chunks(db, "close-2")  # closing again prices the late receipt
    assert _statement_rows(db) == [("C1", 1, "closed"), ("C2", 1, "closed")]


def test_facts_changed_while_the_chunks_ran_refuse_the_last_one_and_the_next_close_cleans_up(
    db: Database,
) -> None:
    _site(db)
    job, state = _begin_and_store_one_statement(db, "close-a")
    move(db, at("2026-11-20"), "receive", 2, 5, None, DOCK)
    ctx = CommandContext(actor=SYSTEM, key="close-a")
    with clock.use(clock.ManualClock(AFTER)), pytest.raises(DomainError) as refused:
        db._write(lambda c: job.finish(c, ctx, state))
    assert refused.value.code == "BILLING_FACTS_CHANGED"

    _close_in_chunks(db, "close-b")

    assert _statement_rows(db) == [("C1", 1, "closed"), ("C2", 1, "closed")]
    orphans = db.read(
        lambda c: c.execute(
            "SELECT COUNT(*) FROM billing_line_sources WHERE line_id NOT IN "
            "(SELECT id FROM billing_statement_lines)"
        ).fetchone()[0]
    )
    assert orphans == 0


def test_a_newer_close_takes_an_unfinished_one_over_and_the_older_is_refused(
    db: Database,
) -> None:
    _site(db)
    older, state = _begin_and_store_one_statement(db, "close-a")

    _close_in_chunks(db, "close-b")

    ctx = CommandContext(actor=SYSTEM, key="close-a")
    with clock.use(clock.ManualClock(AFTER)), pytest.raises(DomainError) as refused:
        db._write(lambda c: older.step(c, ctx, state, 0.0))
    assert refused.value.code == "BILLING_CLOSE_INTERRUPTED"
    assert _statement_rows(db) == [("C1", 1, "closed"), ("C2", 1, "closed")]


def test_a_replayed_close_key_answers_the_first_result(db: Database) -> None:
    _site(db)
    first = _close_in_chunks(db, "close-nov")
    assert _close_in_chunks(db, "close-nov") == first
    assert len(_statement_rows(db)) == 2


def test_the_floors_work_after_the_month_goes_on_during_a_close_without_refusing_it(
    db: Database,
) -> None:
    _site(db)
    job = ClosePeriodJob(_prepared(db), TZ)
    move(db, at("2026-12-01", "07:00"), "receive", 1, 5, None, DOCK)  # today's work

    with clock.use(clock.ManualClock(AFTER)):
        run_chunked_command(db, SYSTEM, "billing.close_period", "close-1", ["2026-11"], job)

    assert _statement_rows(db) == [("C1", 1, "closed"), ("C2", 1, "closed")]


def test_a_price_changed_after_the_statements_were_computed_refuses_the_close(
    db: Database,
) -> None:
    _site(db)
    job = ClosePeriodJob(_prepared(db), TZ)
    set_tariff(db, at("2026-11-30"), effective_from="2026-11-10", rates=RATES[:1])

    with clock.use(clock.ManualClock(AFTER)), pytest.raises(DomainError) as refused:
        run_chunked_command(db, SYSTEM, "billing.close_period", "close-1", ["2026-11"], job)

    assert refused.value.code == "BILLING_FACTS_CHANGED"


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE customers SET active = 0 WHERE id = 2",  # owes no minimum now
        "INSERT INTO customers (id, code, name) VALUES (3, 'C3', 'Customer three')",
    ],
)
def test_customers_changed_after_the_statements_were_computed_refuse_the_close(
    db: Database, change: str
) -> None:
    """Who is billed, and who owes the monthly minimum, are facts of the close too."""
    _site(db)
    job = ClosePeriodJob(_prepared(db), TZ)
    db._write(lambda c: c.execute(change))

    with clock.use(clock.ManualClock(AFTER)), pytest.raises(DomainError) as refused:
        run_chunked_command(db, SYSTEM, "billing.close_period", "close-1", ["2026-11"], job)

    assert refused.value.code == "BILLING_FACTS_CHANGED"
