"""The billing routes over HTTP: a tariff set, a period closed, the statement read with
its sources and downloaded as CSV; bad input refused with a code, other roles kept out."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server import clock
from server.billing import closing
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


def test_a_replayed_close_answers_what_it_stored_without_computing_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handheld retrying on weak Wi-Fi gets the stored answer at once: the statements
    are not computed again (seconds on a busy month) and nothing changes."""
    seed_basics(api)
    tariff = {"effective_from": "2025-01-01", "rates": RATES, "reason": "2025 contract"}
    assert api.post("/api/v1/billing/tariffs", json=tariff).status_code == 200
    with clock.use(clock.ManualClock(datetime(2025, 3, 10, 2, tzinfo=UTC))):
        movement_by_service(
            api, kind="receive", customer="C1", sku="S1", quantity=7, to_location="DOCK-1"
        )
    first = api.post("/api/v1/billing/periods/2025-03/close", key="close-march")
    assert first.status_code == 200, first.text

    def computed_again(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("a replay of a finished close computed the statements again")

    monkeypatch.setattr(closing, "compute_statements", computed_again)
    rows = "SELECT (SELECT COUNT(*) FROM billing_statements), (SELECT COUNT(*) FROM events)"
    before = api.db.read(lambda conn: tuple(conn.execute(rows).fetchone()))

    replayed = api.post("/api/v1/billing/periods/2025-03/close", key="close-march")

    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == first.json()
    assert api.db.read(lambda conn: tuple(conn.execute(rows).fetchone())) == before
    # The same key on another period is still refused, still without computing.
    other = api.post("/api/v1/billing/periods/2025-02/close", key="close-march")
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_a_second_tariff_version_on_the_same_day_is_refused_and_the_first_stands(
    api: Api,
) -> None:
    seed_basics(api)
    first = {"customer": "C1", "effective_from": "2025-01-01", "rates": RATES, "reason": "a"}
    assert api.post("/api/v1/billing/tariffs", json=first).status_code == 200
    again = {**first, "rates": RATES[:1], "minimum_fen": 9, "reason": "b"}

    answer = api.post("/api/v1/billing/tariffs", json=again)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "BILLING_TARIFF_EXISTS"
    assert answer.json()["error"]["details"] == {"customer": "C1", "effective_from": "2025-01-01"}
    [kept] = api.get("/api/v1/billing/tariffs", params={"customer": "C1"}).json()
    assert (kept["reason"], len(kept["rates"])) == ("a", len(RATES))
    # The site default is another tariff: it may start on the same day.
    default = {k: v for k, v in first.items() if k != "customer"}
    assert api.post("/api/v1/billing/tariffs", json=default).status_code == 200
    # A second version of the default on that day is refused naming the default, not "".
    twice = api.post("/api/v1/billing/tariffs", json={**default, "reason": "c"})
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "BILLING_DEFAULT_TARIFF_EXISTS"
    assert twice.json()["error"]["details"] == {"effective_from": "2025-01-01"}
