"""Charges derived from the ledger: storage days on the site's calendar, activity by
movement kind, the tariff version in force on each day, and the one rounding rule."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from server.billing import service
from server.billing.charges import amount_fen
from server.billing.schemas import ServiceRecord
from server.db import Database
from tests.billing.site import TZ, at, command, move, preview, seed, set_tariff

DOCK, A1, A2, TOTE, PARCEL = 1, 2, 3, 6, 7
RATES = [
    {"charge_code": "storage.location_day.storage", "rate_fen": 50},
    {"charge_code": "inbound.unit", "rate_fen": 10},
    {"charge_code": "putaway.unit", "rate_fen": 5},
    {"charge_code": "outbound.order", "rate_fen": 150},
    {"charge_code": "outbound.line", "rate_fen": 30},
    {"charge_code": "outbound.unit", "rate_fen": 7},
    {"charge_code": "service.photo", "rate_fen": 200},
]


def _site(db: Database, rates: list[dict[str, Any]] | None = None) -> None:
    seed(db)
    set_tariff(db, at("2026-01-01"), effective_from="2026-01-01", rates=rates or RATES)


def _by_code(statement: Any) -> dict[str, dict[str, int]]:
    """charge code -> day -> quantity"""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for line in statement.lines:
        found[line.charge_code][line.day] = line.quantity
    return found


def test_a_location_used_for_part_of_a_day_counts_for_that_day(db: Database) -> None:
    _site(db)
    move(db, at("2026-11-03"), "receive", 1, 10, None, DOCK, document="ASN1")
    move(db, at("2026-11-03", "11:00"), "putaway", 1, 10, DOCK, A1)
    move(db, at("2026-11-05", "14:00"), "move", 1, 10, A1, A2)

    storage = _by_code(preview(db, "2026-11"))["storage.location_day.storage"]

    assert storage["2026-11-03"] == 1
    assert storage["2026-11-04"] == 1
    assert storage["2026-11-05"] == 2  # A-1 until 14:00, A-2 after: both used that day
    assert storage["2026-11-06"] == 1 and storage["2026-11-30"] == 1
    assert "2026-11-02" not in storage
    assert sum(storage.values()) == 2 + 2 + 25


def test_days_follow_the_site_calendar_not_utc(db: Database) -> None:
    _site(db)
    # 23:30 in Shanghai is 15:30 UTC the same day; 00:30 on Dec 1 is still Nov 30 in UTC.
    move(db, at("2026-11-30", "23:30"), "receive", 1, 4, None, DOCK)
    move(db, at("2026-12-01", "00:30"), "receive", 1, 6, None, DOCK)

    assert _by_code(preview(db, "2026-11"))["inbound.unit"] == {"2026-11-30": 4}
    assert _by_code(preview(db, "2026-12"))["inbound.unit"] == {"2026-12-01": 6}


def test_stock_from_before_the_period_counts_and_later_moves_do_not(db: Database) -> None:
    _site(db)
    move(db, at("2026-10-20"), "receive", 1, 10, None, DOCK)
    move(db, at("2026-10-20", "12:00"), "putaway", 1, 10, DOCK, A1)
    move(db, at("2026-12-02"), "move", 1, 10, A1, A2)  # after November: changes nothing there

    november = _by_code(preview(db, "2026-11"))

    assert november["storage.location_day.storage"] == {f"2026-11-{d:02d}": 1 for d in range(1, 31)}
    assert "inbound.unit" not in november and "putaway.unit" not in november


def test_a_supervisors_correction_bills_no_receiving_but_its_stock_is_stored(
    db: Database,
) -> None:
    _site(db)
    # The site's go-live: its existing stock entered by hand, and a carton found later.
    move(db, at("2026-11-02"), "receive", 1, 500, None, A1, reason="opening_balance")
    move(db, at("2026-11-09"), "receive", 1, 3, None, A2, reason="found")
    move(db, at("2026-11-10"), "receive", 1, 7, None, DOCK, document="ASN1")

    november = _by_code(preview(db, "2026-11"))

    assert november["inbound.unit"] == {"2026-11-10": 7}
    assert november["storage.location_day.storage"]["2026-11-02"] == 1
    assert november["storage.location_day.storage"]["2026-11-09"] == 2


def test_volume_is_rounded_half_up_once_per_line_and_pallets_rounded_up(db: Database) -> None:
    rates = [
        {"charge_code": "storage.m3_day", "rate_fen": 12345},
        {"charge_code": "storage.pallet_day", "rate_fen": 300},
    ]
    _site(db, rates)
    move(db, at("2026-10-20"), "receive", 1, 45, None, DOCK)
    move(db, at("2026-10-20", "12:00"), "putaway", 1, 45, DOCK, A1)

    lines = {(x.charge_code, x.day): x for x in preview(db, "2026-11").lines}

    volume = lines[("storage.m3_day", "2026-11-07")]
    # 45 units x 100,000 mm³ = 4,500,000 mm³-days = 0.0045 m³-days x 123.45 yuan = 55.55 fen
    assert volume.quantity == 4_500_000
    assert volume.amount_fen == 56
    pallets = lines[("storage.pallet_day", "2026-11-07")]
    assert (pallets.quantity, pallets.amount_fen) == (2, 600)  # 45 units, 40 a pallet


def test_amounts_round_half_up() -> None:
    assert amount_fen(1, 1, 2) == 1
    assert amount_fen(1, 1, 3) == 0
    assert amount_fen(2, 1, 3) == 1
    assert amount_fen(7, 13) == 91


def test_each_day_is_priced_by_the_tariff_version_in_force_that_day(db: Database) -> None:
    _site(db)
    set_tariff(
        db,
        at("2026-11-01"),
        customer="C1",
        effective_from="2026-11-16",
        rates=[{"charge_code": "storage.location_day.storage", "rate_fen": 80}],
    )
    for sku in (1, 2):
        move(db, at("2026-10-20"), "receive", sku, 5, None, DOCK)
        move(db, at("2026-10-20", "12:00"), "putaway", sku, 5, DOCK, A1 if sku == 1 else A2)

    c1 = preview(db, "2026-11", "C1")
    c2 = preview(db, "2026-11", "C2")

    assert c1.charges_fen == 15 * 50 + 15 * 80
    assert c2.charges_fen == 30 * 50  # C2 has no tariff of its own: the site default's


def test_an_order_packed_over_two_days_or_two_periods_is_charged_once(db: Database) -> None:
    _site(db)
    move(db, at("2026-10-20"), "receive", 1, 20, None, DOCK)
    move(db, at("2026-10-20", "12:00"), "putaway", 1, 20, DOCK, A1)
    move(db, at("2026-10-31", "20:00"), "pick", 1, 10, A1, TOTE, document="SO1", flow="pick")
    move(db, at("2026-10-31", "23:00"), "pack", 1, 4, TOTE, PARCEL, document="SO1", flow="pack")
    move(db, at("2026-11-01", "09:00"), "pack", 1, 1, TOTE, PARCEL, document="SO1", flow="pack")
    move(db, at("2026-11-02", "09:00"), "pack", 1, 2, TOTE, PARCEL, document="SO2", flow="pack")
    move(db, at("2026-11-03", "09:00"), "pack", 1, 3, TOTE, PARCEL, document="SO2", flow="pack")

    october, november = _by_code(preview(db, "2026-10")), _by_code(preview(db, "2026-11"))

    assert october["outbound.order"] == {"2026-10-31": 1}
    assert october["outbound.line"] == {"2026-10-31": 1}
    assert november["outbound.order"] == {"2026-11-02": 1}  # SO1 was October's
    assert november["outbound.line"] == {"2026-11-02": 1}
    assert november["outbound.unit"] == {"2026-11-01": 1, "2026-11-02": 2, "2026-11-03": 3}


def test_each_line_names_the_facts_that_made_it(db: Database) -> None:
    _site(db)
    move(db, at("2026-11-03"), "receive", 1, 10, None, DOCK, document="ASN1")
    move(db, at("2026-11-03", "11:00"), "receive", 1, 5, None, DOCK, document="ASN1")
    ids = db.read(lambda c: [r[0] for r in c.execute("SELECT id FROM movements ORDER BY id")])

    inbound = next(x for x in preview(db, "2026-11").lines if x.charge_code == "inbound.unit")

    assert inbound.quantity == 15
    assert [(s.kind, s.ref) for s in inbound.sources] == [("movement", str(i)) for i in ids]


def test_a_recorded_service_is_charged_on_its_day(db: Database) -> None:
    _site(db)
    req = ServiceRecord(customer="C1", charge_code="service.photo", quantity=3, document="SO9")
    done = command(
        db,
        at("2026-11-04"),
        "billing.record_service",
        lambda conn, ctx: service.record_service(conn, ctx, req),
    )

    line = next(x for x in preview(db, "2026-11").lines if x.charge_code == "service.photo")

    assert (line.day, line.quantity, line.amount_fen) == ("2026-11-04", 3, 600)
    assert [(s.kind, s.ref) for s in line.sources or []] == [("service", str(done["id"]))]


def test_replays_and_a_restart_change_no_charge(db: Database, tmp_path: Path) -> None:
    _site(db)
    move(db, at("2026-11-03"), "receive", 1, 10, None, DOCK, key="receive-1")
    move(db, at("2026-11-03", "11:00"), "putaway", 1, 10, DOCK, A1, key="putaway-1")
    before = preview(db, "2026-11")

    move(db, at("2026-11-03"), "receive", 1, 10, None, DOCK, key="receive-1")  # a replay
    move(db, at("2026-11-03", "11:00"), "putaway", 1, 10, DOCK, A1, key="putaway-1")
    assert preview(db, "2026-11") == before

    path = db.path
    db.close()
    again = Database(path)
    try:
        assert again.read(lambda c: service.preview_statement(c, TZ, "2026-11", "C1")) == before
    finally:
        again.close()
