"""The independent recount (bench/statement_recount.py) agrees with a closed statement line by
line, and catches a stored line that no longer matches the movements that made it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from server import clock
from server.billing import service
from server.billing.charges import CHARGE_TYPES
from server.billing.schemas import CreditLine, ServiceRecord
from server.config import Settings
from server.db import Database
from tests.api.test_inbound import PLAIN, SSCC, new_plan, receive
from tests.api.test_inbound import site as site
from tests.billing.site import TZ, ZONE, at, close, command, move, seed, set_tariff
from tests.conftest import Api
from tests.counts.helpers import count_location
from tests.outbound.helpers import (
    GEL,
    SOAP,
    outbound_settings,
    pack,
    picked_order,
    put_stock,
    seed_outbound,
)

ROOT = Path(__file__).resolve().parents[2]
DOCK, A1, A2, P1, TOTE, PARCEL = 1, 2, 3, 5, 6, 7
RATES = [
    {"charge_code": "storage.location_day.storage", "rate_fen": 50},
    {"charge_code": "storage.location_day.pick_face", "rate_fen": 70},
    {"charge_code": "storage.pallet_day", "rate_fen": 300},
    {"charge_code": "storage.m3_day", "rate_fen": 12345},
    {"charge_code": "inbound.unit", "rate_fen": 10},
    {"charge_code": "putaway.unit", "rate_fen": 5},
    {"charge_code": "outbound.order", "rate_fen": 150},
    {"charge_code": "outbound.line", "rate_fen": 30},
    {"charge_code": "outbound.unit", "rate_fen": 7},
    {"charge_code": "service.photo", "rate_fen": 200},
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The outbound test site's settings (a pack bench and its printer that is never
    there): the floor's own face sheets and reprints are facts to recount."""
    return outbound_settings(tmp_path)


def _recount(path: str | Path, statement_id: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bench/statement_recount.py", str(path), str(statement_id), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _row(output: str, code: str, day: str) -> list[str]:
    """The recount's row of one charge and day, split into its columns."""
    return next(x.split() for x in output.splitlines() if f" {code} " in x and f" {day} " in x)


def _busy_november(db: Database, close_october: bool = False) -> dict[str, Any]:
    """Stock held over the midnight of November 1st, then a month of floor work; November
    closed (and October before it, when asked: its statement is the second)."""
    seed(db)
    set_tariff(db, at("2026-01-01"), effective_from="2026-01-01", rates=RATES, minimum_fen=0)
    set_tariff(
        db,
        at("2026-01-01"),
        customer="C2",
        effective_from="2026-01-01",
        rates=RATES,
        minimum_fen=100_000,
    )
    move(db, at("2026-10-31", "21:00"), "receive", 1, 45, None, DOCK, document="ASN1")
    move(db, at("2026-10-31", "22:00"), "putaway", 1, 45, DOCK, A1)
    october = close(db, at("2026-11-01", "00:10"), "2026-10") if close_october else {}
    move(db, at("2026-11-01", "01:00"), "move", 1, 30, A1, A2)  # both used on the 1st
    move(db, at("2026-11-03", "09:00"), "move", 1, 10, A2, P1)
    move(db, at("2026-11-03", "10:00"), "pick", 1, 6, P1, TOTE, document="SO1", flow="pick")
    move(db, at("2026-11-03", "23:30"), "pack", 1, 4, TOTE, PARCEL, document="SO1", flow="pack")
    move(db, at("2026-11-04", "00:30"), "pack", 1, 2, TOTE, PARCEL, document="SO1", flow="pack")
    move(db, at("2026-11-10"), "receive", 2, 8, None, DOCK, document="ASN2")
    move(db, at("2026-11-10", "11:00"), "putaway", 2, 8, DOCK, A1 + 2)
    req = ServiceRecord(customer="C1", charge_code="service.photo", quantity=3, document="SO1")
    command(
        db,
        at("2026-11-04"),
        "billing.record_service",
        lambda conn, ctx: service.record_service(conn, ctx, req),
    )
    november = close(db, at("2026-12-01", "08:00"), "2026-11")
    return {"statements": november["statements"], "october": october}


def _statement(closed: dict[str, Any], customer: str) -> int:
    return next(s["id"] for s in closed["statements"] if s["customer"] == customer)


def test_a_closed_statement_recounts_line_by_line_from_the_ledger(db: Database) -> None:
    closed = _busy_november(db)

    for customer in ("C1", "C2"):
        run = _recount(db.path, _statement(closed, customer), "--sources", "40")

        assert run.returncode == 0, run.stdout + run.stderr
        assert "✗" not in run.stdout and "all lines agree" in run.stdout
        assert "stored sources differ" not in run.stdout
    c1 = _recount(db.path, _statement(closed, "C1"), "--sources", "200").stdout
    ids = db.read(
        lambda c: [
            r[0] for r in c.execute("SELECT id FROM movements WHERE kind = 'pack' ORDER BY id")
        ]
    )
    assert _row(c1, "outbound.unit", "2026-11-03")[3:5] == ["4", "4"]
    assert _row(c1, "outbound.unit", "2026-11-04")[3:5] == ["2", "2"]
    assert f"movements {ids[0]} [stored sources agree]" in c1  # outbound.line: the first pack
    # Nov 1: A-1's peak 45 (at midnight), A-2's 30, x 100,000 mm³ = 7,500,000 mm³-days;
    # x 123.45 yuan per m³-day = 92.5875 fen, rounded once for the line: 93.
    assert _row(c1, "storage.m3_day", "2026-11-01")[3:8] == [
        "7500000",
        "7500000",
        "12345",
        "93",
        "93",
    ]
    c2 = _recount(db.path, _statement(closed, "C2")).stdout
    assert _row(c2, "minimum.topup", "2026-11-30")[-1] == "✓"  # C2's minimum tops it up


def test_stock_held_over_the_first_midnight_counts_on_both_months(db: Database) -> None:
    closed = _busy_november(db, close_october=True)

    oct_ = _recount(db.path, _statement(closed["october"], "C1"))
    assert oct_.returncode == 0, oct_.stdout
    assert _row(oct_.stdout, "storage.location_day.storage", "2026-10-31")[3:5] == ["1", "1"]
    assert _row(oct_.stdout, "inbound.unit", "2026-10-31")[3:5] == ["45", "45"]
    nov = _recount(db.path, _statement(closed, "C1"))
    assert nov.returncode == 0, nov.stdout
    # A-1 held the goods at midnight and A-2 from 01:00: two location-days on the 1st.
    assert _row(nov.stdout, "storage.location_day.storage", "2026-11-01")[3:5] == ["2", "2"]
    assert _row(nov.stdout, "storage.pallet_day", "2026-11-01")[3:5] == ["3", "3"]


def test_a_tampered_line_is_found_and_fails_the_recount(db: Database, tmp_path: Path) -> None:
    closed = _busy_november(db)
    statement_id = _statement(closed, "C1")
    copy = tmp_path / "tampered.db"
    with sqlite3.connect(copy) as target:
        source = sqlite3.connect(db.path)
        source.backup(target)
        source.close()
        target.execute("DROP TRIGGER billing_statement_lines_no_update")
        target.execute("DROP TRIGGER billing_statement_lines_no_delete")
        target.execute(
            "DELETE FROM billing_statement_lines WHERE statement_id = ? "
            "AND charge_code = 'service.photo'",
            (statement_id,),
        )
        target.execute(
            "UPDATE billing_statement_lines SET quantity = quantity + 1, "
            "amount_fen = amount_fen + rate_fen WHERE statement_id = ? "
            "AND charge_code = 'outbound.unit' AND day = '2026-11-03'",
            (statement_id,),
        )
        target.execute(
            "DELETE FROM billing_line_sources WHERE kind = 'order' AND ref = 'SO1' AND line_id IN "
            "(SELECT id FROM billing_statement_lines WHERE statement_id = ?)",
            (statement_id,),
        )
    target.close()

    run = _recount(copy, statement_id, "--sources", "200")

    assert run.returncode == 1, run.stdout
    assert _row(run.stdout, "outbound.unit", "2026-11-03")[3:] == ["5", "4", "7", "35", "28", "✗"]
    assert _row(run.stdout, "service.photo", "2026-11-04")[:5] == [
        "-",
        "service.photo",
        "2026-11-04",
        "-",
        "3",
    ]
    assert "not on the statement" in run.stdout
    assert "only stored none; only recounted order SO1" in run.stdout
    assert "DIFFERENCES FOUND" in run.stdout


def test_a_credit_and_the_minimum_are_recounted_on_the_next_statement(db: Database) -> None:
    closed = _busy_november(db)
    november = db.read(
        lambda c: service.stored_statement(c, _statement(closed, "C1"), with_sources=False)
    )
    order = next(x for x in november.lines if x.charge_code == "outbound.order")
    req = CreditLine(line_id=order.id or 0, amount_fen=100, reason="disputed")
    command(
        db,
        at("2026-12-05"),
        "billing.credit_line",
        lambda conn, ctx: service.credit_line(conn, ctx, req),
    )
    december = close(db, at("2027-01-01", "08:00"), "2026-12")

    run = _recount(db.path, _statement(december, "C1"))

    assert run.returncode == 0, run.stdout
    assert _row(run.stdout, "credit.disputed", "2026-12-31")[3:] == [
        "1",
        "1",
        "-100",
        "-100",
        "-100",
        "✓",
    ]


def test_the_floors_packs_face_sheets_and_reprints_recount_as_billed(api: Api) -> None:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 20)
    first = picked_order(api, [{"sku": "S1", "quantity": 2}], "T-1")
    second = picked_order(api, [{"sku": "S1", "quantity": 1}], "T-2")
    for order, scans in ((first, [SOAP, SOAP]), (second, [SOAP])):
        assert pack(api, order["id"], scans).status_code == 200
    reprint = {"scan": first["waybill_no"], "reason": "label torn"}
    assert api.post("/api/v1/print-jobs/reprint", role="packer", json=reprint).status_code == 200
    third = picked_order(api, [{"sku": "S1", "quantity": 1}], "T-3")
    assert pack(api, third["id"], [SOAP]).status_code == 200
    cancel = {"order_no": third["order_no"]}  # after packing: its label is cancelled
    assert api.post("/api/v1/order-cancellations", role="oms", json=cancel).status_code == 200
    (task,) = api.get("/api/v1/order-tasks", role="packer").json()
    back = api.post(
        f"/api/v1/order-tasks/{task['id']}/complete", role="packer", json={"location": "A-1"}
    )
    assert back.status_code == 200, back.text
    rates = [{"charge_code": code, "rate_fen": 11 + n} for n, code in enumerate(CHARGE_TYPES)]
    set_tariff(api.db, clock.now(), effective_from="2020-01-01", rates=rates)
    today = clock.today(TZ)
    after = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    closed = close(api.db, datetime.combine(after, time(8), ZONE), today.strftime("%Y-%m"))

    run = _recount(api.db.path, _statement(closed, "C1"), "--sources", "100")

    assert run.returncode == 0, run.stdout
    day = today.isoformat()
    assert _row(run.stdout, "outbound.order", day)[3:5] == ["3", "3"]
    # The cancelled parcel's face sheet too: a print job, as docs/billing.md counts them.
    assert _row(run.stdout, "outbound.face_sheet", day)[3:5] == ["3", "3"]
    assert _row(run.stdout, "exception.return_to_stock", day)[3:5] == ["1", "1"]
    assert _row(run.stdout, "exception.reprint", day)[3:5] == ["1", "1"]
    assert "stored sources differ" not in run.stdout


def test_a_closed_receipt_its_cartons_and_a_count_recount_as_billed(site: Api) -> None:
    plan_id = new_plan(site)
    assert receive(site, plan_id, scan="]C100" + SSCC).status_code == 200  # a carton of 6
    assert receive(site, plan_id, scan=PLAIN, quantity=5).status_code == 200
    short = {"differences": [{"sku": "T1", "reason": "short"}]}  # none of T1 came
    closed_plan = site.post(f"/api/v1/plans/{plan_id}/close", role="receiver", json=short)
    assert closed_plan.status_code == 200, closed_plan.text
    count_location(site, "DOCK-01", [{"item": PLAIN, "quantity": 11}])
    rates = [{"charge_code": code, "rate_fen": 11 + n} for n, code in enumerate(CHARGE_TYPES)]
    set_tariff(site.db, clock.now(), effective_from="2020-01-01", rates=rates)
    today = clock.today(TZ)
    after = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    closed = close(site.db, datetime.combine(after, time(8), ZONE), today.strftime("%Y-%m"))

    run = _recount(site.db.path, _statement(closed, "C1"), "--sources", "100")

    assert run.returncode == 0, run.stdout
    day = today.isoformat()
    assert _row(run.stdout, "inbound.plan", day)[3:5] == ["1", "1"]
    assert _row(run.stdout, "inbound.carton", day)[3:5] == ["1", "1"]
    assert _row(run.stdout, "inbound.unit", day)[3:5] == ["11", "11"]
    assert _row(run.stdout, "exception.cycle_count", day)[3:5] == ["1", "1"]
    assert f"ssccs {SSCC} [stored sources agree]" in run.stdout


def test_a_count_that_found_none_of_a_customers_goods_bills_it_no_count(api: Api) -> None:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 20)
    put_stock(api, "A-3", "S2", 5, customer="C2")
    # C2's gel scanned at C1's location and entered as 0: not there.
    count_location(api, "A-1", [{"item": SOAP, "quantity": 20}, {"item": GEL, "quantity": 0}])
    rates = [{"charge_code": code, "rate_fen": 11 + n} for n, code in enumerate(CHARGE_TYPES)]
    set_tariff(api.db, clock.now(), effective_from="2020-01-01", rates=rates)
    today = clock.today(TZ)
    after = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    closed = close(api.db, datetime.combine(after, time(8), ZONE), today.strftime("%Y-%m"))

    run = _recount(api.db.path, _statement(closed, "C2"))

    assert run.returncode == 0, run.stdout


def test_the_recount_shares_no_code_with_the_billing_it_checks() -> None:
    source = (ROOT / "bench" / "statement_recount.py").read_text(encoding="utf-8")
    imported = [
        line.split()[1]
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
    ]
    assert imported and not [m for m in imported if m.split(".")[0] in ("server", "devices")]
