"""The billing routes over HTTP: a tariff set, a period closed, the statement read with
its sources and downloaded as CSV; bad input refused with a code, other roles kept out."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from server import clock
from tests.conftest import Api, movement_by_service, seed_basics

RATES = [
    {"charge_code": "storage.location_day.storage", "rate_fen": 50},
    {"charge_code": "inbound.unit", "rate_fen": 12},
    {"charge_code": "putaway.unit", "rate_fen": 5},
]


def test_a_supervisor_closes_a_month_and_downloads_the_statement(api: Api) -> None:
    seed_basics(api)
    tariff = api.post(
        "/api/v1/billing/tariffs",
        json={
            "effective_from": "2025-01-01",
            "rates": RATES,
            "minimum_fen": 0,
            "reason": "2025 contract",
        },
    )
    assert tariff.status_code == 200, tariff.text
    with clock.use(clock.ManualClock(datetime(2025, 3, 10, 2, tzinfo=UTC))):
        movement_by_service(
            api,
            kind="receive",
            customer="C1",
            sku="S1",
            quantity=7,
            to_location="DOCK-1",
            document="ASN-1",
        )
        movement_by_service(
            api,
            kind="putaway",
            customer="C1",
            sku="S1",
            quantity=7,
            from_location="DOCK-1",
            to_location="A-1",
        )

    closed = api.post("/api/v1/billing/periods/2025-03/close")
    assert closed.status_code == 200, closed.text
    [summary] = closed.json()["statements"]
    assert summary["total_fen"] == 7 * 12 + 7 * 5 + 22 * 50

    listed = api.get("/api/v1/billing/statements", params={"period": "2025-03"}).json()
    # Without a period or a customer: every stored statement (the billing page asks so).
    assert api.get("/api/v1/billing/statements").json() == listed
    assert [s["id"] for s in listed] == [summary["id"]]
    statement = api.get(
        f"/api/v1/billing/statements/{summary['id']}", params={"sources": "true"}
    ).json()
    inbound = next(x for x in statement["lines"] if x["charge_code"] == "inbound.unit")
    assert [s["kind"] for s in inbound["sources"]] == ["movement"]

    movement = inbound["sources"][0]["ref"]
    citing = api.get("/api/v1/billing/lines", params={"kind": "movement", "ref": movement})
    assert [(x["statement"], x["charge_code"]) for x in citing.json()] == [
        (summary["id"], "inbound.unit")
    ]

    # The trace asks for a page of movements at once: each line names the one it cites.
    putaway = next(x for x in statement["lines"] if x["charge_code"] == "putaway.unit")
    both = [movement, putaway["sources"][0]["ref"]]
    citing_both = api.get(
        "/api/v1/billing/lines", params={"kind": "movement", "ref": ",".join(both)}
    )
    assert citing_both.status_code == 200, citing_both.text
    assert sorted((x["ref"], x["charge_code"]) for x in citing_both.json()) == sorted(
        [(movement, "inbound.unit"), (both[1], "putaway.unit")]
    )
    # A line's facts, each with the trace page that shows it.
    sources = api.get(
        f"/api/v1/billing/statements/{summary['id']}/lines/{inbound['line_no']}/sources"
    ).json()
    assert sources["total"] == 1
    assert sources["sources"] == [
        {
            "kind": "movement",
            "ref": movement,
            "trace": {"kind": "sku", "value": "S1", "customer": "C1"},
        }
    ]
    storage = next(x for x in statement["lines"] if x["charge_code"].startswith("storage."))
    located = api.get(
        f"/api/v1/billing/statements/{summary['id']}/lines/{storage['line_no']}/sources"
    ).json()
    assert located["sources"][0]["trace"] == {"kind": "location", "value": "A-1", "customer": "C1"}
    missing = api.get(f"/api/v1/billing/statements/{summary['id']}/lines/999/sources")
    assert missing.json()["error"]["code"] == "BILLING_LINE_NOT_FOUND"

    download = api.get(f"/api/v1/billing/statements/{summary['id']}/csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0][:3] == ["line", "day", "category"]
    assert len([r for r in rows if r[0].isdigit()]) == len(statement["lines"])
    assert rows[-1][0] == "total" and int(rows[-1][8]) == summary["total_fen"]
    assert api.get(f"/api/v1/billing/statements/{summary['id']}/csv").content == download.content
    plain = api.get(f"/api/v1/billing/statements/{summary['id']}")  # rendered once, then kept
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json() == {
        **statement,
        "lines": [{**x, "sources": None} for x in statement["lines"]],
    }

    reopened = api.post("/api/v1/billing/periods/2025-03/reopen", json={"reason": "recheck"})
    assert reopened.json()["state"] == "open"
    periods = api.get("/api/v1/billing/periods").json()
    assert periods[0]["reason"] == "recheck"


def test_the_charge_codes_are_listed_with_unit_and_scale(api: Api) -> None:
    answer = api.get("/api/v1/billing/charge-codes")
    assert answer.status_code == 200, answer.text
    codes = {c["code"]: c for c in answer.json()}
    assert codes["storage.m3_day"]["scale"] == 10**9
    assert codes["outbound.face_sheet"]["category"] == "outbound"


def test_bad_billing_input_is_refused_with_a_code(api: Api) -> None:
    seed_basics(api)
    unknown = api.post(
        "/api/v1/billing/tariffs",
        json={
            "effective_from": "2025-01-01",
            "reason": "x",
            "rates": [{"charge_code": "storage.parking", "rate_fen": 1}],
        },
    )
    assert unknown.json()["error"]["code"] == "BILLING_CHARGE_UNKNOWN"
    not_a_day = api.post(
        "/api/v1/billing/tariffs",
        json={"effective_from": "2025-02-30", "reason": "x", "rates": []},
    )
    assert not_a_day.json()["error"]["code"] == "BILLING_DAY_INVALID"
    assert api.post("/api/v1/billing/periods/2025-13/close").status_code == 400
    not_over = api.post("/api/v1/billing/periods/2099-01/close")
    assert not_over.json()["error"]["code"] == "BILLING_PERIOD_NOT_OVER"
    assert api.get("/api/v1/billing/statements/99").json()["error"]["code"] == (
        "BILLING_STATEMENT_NOT_FOUND"
    )
    no_line = api.post("/api/v1/billing/credits", json={"line_id": 5, "reason": "x"})
    assert no_line.json()["error"]["code"] == "BILLING_LINE_NOT_FOUND"
    assert api.get("/api/v1/billing/tariffs", role="picker").status_code == 403


def test_the_demo_prices_its_three_customers(api: Api) -> None:
    from server.config import site_today
    from server.demo import CUSTOMERS, seed_demo

    seed_demo(api.db, api.settings, log=lambda _: None)
    for code, *_ in CUSTOMERS:
        [version] = api.get("/api/v1/billing/tariffs", params={"customer": code}).json()
        assert version["minimum_fen"] > 0 and version["rates"]
    this_month = site_today(api.settings)
    last_month = (this_month.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    # The demo's stock arrived last month and stays: this month bills its storage.
    for month, wanted in (
        (last_month, {"storage.location_day.storage", "storage.m3_day", "inbound.unit"}),
        (this_month.strftime("%Y-%m"), {"storage.location_day.storage", "storage.m3_day"}),
    ):
        preview = api.get(
            "/api/v1/billing/preview", params={"period": month, "customer": "HKBEAUTY"}
        ).json()
        codes = {x["charge_code"] for x in preview["lines"]}
        assert wanted <= codes, (month, codes)
        assert preview["total_fen"] >= 300_000  # HKBEAUTY's monthly minimum
