"""The event contract holds for what the floor really writes.

The demo warehouse is seeded, then a day on the floor runs through the API: a container
received (one unit damaged), closed and put away; orders released, waved, picked (one
short), packed, one cancelled and returned to stock, one sent to inspection; a truck's
list made, a parcel taken off, the door released and opened again, the parcels loaded
and the truck departed; a supervisor's corrections. Every journal row must then be of a
type in the contract, at the contract's version, and its payload must convert strictly
to the type's struct and back unchanged (no field missing, none undocumented).
"""

from __future__ import annotations

import typing
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from server import clock
from server.alerts.service import check_alerts
from server.billing import service as billing
from server.billing.closing import close_in_one_transaction
from server.commands import SYSTEM, run_command
from server.config import Settings, StationSettings, site_today
from server.demo import DEMO_PIN, DEMO_USERS, ean13, seed_demo
from server.outbound.states import ORDER_STATES
from server.sync.contract import CONTRACT, EventBatch, OrderState, render_markdown
from server.sync.dialects import batch_body
from tests.conftest import Api
from tests.counts.helpers import count_location, pending_proposals
from tests.dock.test_checkout import ok, ready, scan, truck
from tests.outbound.helpers import (
    customs,
    next_task,
    outbound_settings,
    pack,
    pick_all,
    released_order,
    wave,
)

DOCS = Path(__file__).parents[2] / "docs" / "events.md"
JP_SOAP = ean13("490", 10_001)  # JPHOME's JP0001: demo stock, neither lot nor expiry
FAR = (date.today() + timedelta(days=400)).isoformat()
MUST_APPEAR = {
    "receipt.closed",
    "stock.receive",
    "stock.putaway",
    "stock.pick",
    "stock.adjust",
    "stock.count",
    "count.finished",
    "order.packed",
    "order.loaded",
    "order.state_changed",
    "loading_list.departed",
}


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    """The outbound tests' pack bench and printer, and the dock tests' door D1."""
    base = outbound_settings(tmp_path)
    base.stations.append(StationSettings(name="D1", kind="dock_door"))
    return base


# -- a day on the demo floor ---------------------------------------------------------------


def log_in_demo_users(api: Api) -> None:
    """The demo's own users do the work (the client's made-up users would clash with them:
    the demo has a dock01 already)."""
    for user in DEMO_USERS:
        answer = api.client.post(
            "/api/v1/auth/login", json={"user_code": user.code, "pin": DEMO_PIN}
        )
        assert answer.status_code == 201, answer.text
        api._tokens[user.role] = answer.json()["token"]


def receive_and_put_away(api: Api) -> None:
    """The demo's sea container for HKBEAUTY: checked in, received, closed, put away."""
    plan_id = api.db.read(
        lambda conn: conn.execute(
            "SELECT id FROM delivery_plans WHERE plan_no LIKE 'ASN-%-01'"
        ).fetchone()[0]
    )
    base = f"/api/v1/plans/{plan_id}"
    ok(api.post(f"{base}/check-in", role="receiver", json={"reference": "MSKU1234565"}))
    hk0002, hk0006 = ean13("489", 10_002), ean13("489", 10_006)
    for body in (
        {"scan": hk0002, "quantity": 24, "lot": "L1", "expiry": FAR},
        {"scan": ean13("489", 10_004), "quantity": 12, "lot": "L2", "expiry": FAR},
        {"scan": hk0006, "quantity": 35, "lot": "L2611006", "expiry": "2028-06-30"},
        {"scan": hk0006, "quantity": 1, "lot": "L2611006", "expiry": "2028-06-30", "damaged": True},
    ):
        ok(api.post(f"{base}/receive", role="receiver", json=body))
    difference = {"sku": "HK0006", "lot": "L2611006", "reason": "damaged", "note": "crushed"}
    ok(api.post(f"{base}/close", role="receiver", json={"differences": [difference]}))
    putaway = {"from_location": "DOCK-01", "item": hk0002, "lot": "L1", "quantity": 24}
    ok(api.post("/api/v1/putaway", role="putaway", json={**putaway, "to_location": "A-03-01-1"}))


def finish_order_task(api: Api, order_no: str, location: str) -> None:
    tasks = ok(api.get("/api/v1/order-tasks", role="packer"))
    task = next(t for t in tasks if t["order_no"] == order_no)
    answer = api.post(
        f"/api/v1/order-tasks/{task['id']}/complete", role="packer", json={"location": location}
    )
    ok(answer)


def pick_pack_and_ship(api: Api) -> None:
    """Five orders picked in one wave: three packed for a truck, one cancelled and returned
    to stock, one inspected; a sixth comes up short. The truck leaves with two parcels."""
    line = [{"sku": "JP0001", "quantity": 1}]
    a, b, c, cancelled, inspected = (released_order(api, line, customer="JPHOME") for _ in range(5))
    picked = [a, b, c, cancelled, inspected]
    built = wave(api, order_nos=[o["order_no"] for o in picked])
    pick_all(api, built["id"], {o["order_no"]: f"TOTE-{n:03d}" for n, o in enumerate(picked, 1)})
    for order in (a, b, c):
        ok(pack(api, order["id"], [JP_SOAP]))

    api.post("/api/v1/order-cancellations", role="oms", json={"order_no": cancelled["order_no"]})
    finish_order_task(api, cancelled["order_no"], "STG-01")
    assert customs(api, inspected["order_no"], 500).status_code == 200
    finish_order_task(api, inspected["order_no"], "INSP-01")

    short = released_order(api, line, customer="JPHOME")
    task = next_task(api, wave(api, order_nos=[short["order_no"]])["id"])
    assert task is not None
    ok(api.post(f"/api/v1/pick-tasks/{task['id']}/short", role="picker", json={"reason": "empty"}))

    listed = ok(
        api.post(
            "/api/v1/loading-lists",
            role="dock",
            json=truck([a["waybill_no"], b["waybill_no"], c["waybill_no"]]),
        )
    )
    base = f"/api/v1/loading-lists/{listed['id']}"
    off = {"waybill_no": c["waybill_no"], "reason": "next truck"}
    ok(api.post(f"{base}/remove-parcel", json=off))
    ready(api, listed["id"])
    ok(api.post(f"{base}/release-door", json={"reason": "truck moved to another door"}))
    ready(api, listed["id"])
    for order in (a, b):
        ok(scan(api, listed["id"], order["waybill_no"]))
    ok(api.post(f"{base}/depart", role="dock", json={}))


def correct_stock_by_hand(api: Api) -> None:
    """A supervisor's movements, on the unit the cancelled order returned to STG-01."""
    unit = {"customer": "JPHOME", "sku": "JP0001", "quantity": 1}
    for movement in (
        {"kind": "adjust", "to_location": "STG-01", "reason": "found"},
        {"kind": "adjust", "from_location": "STG-01", "reason": "damaged"},
        {
            "kind": "move",
            "from_location": "STG-01",
            "to_location": "STG-02",
            "reason": "relocation",
        },
    ):
        ok(api.post("/api/v1/ledger/movements", json={**unit, **movement}))


def count_and_correct(api: Api) -> None:
    """A blind count of A-03-01-1 finds one unit of HK0002 L1 short; a supervisor approves."""
    counted = [{"item": ean13("489", 10_002), "lot": "L1", "quantity": 23}]
    done = count_location(api, "A-03-01-1", counted)
    if done["outcome"] == "recount":
        done = count_location(api, "A-03-01-1", counted)
    proposal = next(p for p in pending_proposals(api) if p["sku"] == "HK0002")
    path = f"/api/v1/count-proposals/{proposal['id']}/approve"
    ok(api.post(path, json={"reason": "count_loss"}))


def reconcile_with_the_oms(api: Api) -> None:
    """The OMS's book for one SKU, compared with the floor's stock."""
    book = {
        "reference": "BOOK-1",
        "lines": [{"customer": "JPHOME", "sku": "JP0001", "quantity": 1}],
    }
    ok(api.post("/api/v1/reconciliations", json=book))


def raise_and_clear_an_alert(api: Api) -> None:
    """A supervisor sets a safety level above the stock: the alert worker raises it; the
    level lowered again, the next check clears it."""
    for key, quantity in (("safety-up", 1_000), ("safety-off", 0)):
        level = {"customer": "JPHOME", "sku": "JP0001", "quantity": quantity}
        answer = api.client.put(
            "/api/v1/alerts/safety-levels",
            headers=api.headers("supervisor", key),
            json={"levels": [level]},
        )
        ok(answer)
        check_alerts(api.db, api.settings)


def bill_the_month(api: Api) -> None:
    """The month's activity priced by a site default tariff; the month closed on the first
    day of the next (the clock moved there), which freezes each customer's statement, then
    re-opened and closed again (each statement's version 2)."""
    today = site_today(api.settings)
    month = today.strftime("%Y-%m")
    rates = [{"charge_code": "inbound.unit", "rate_fen": 10}]
    tariff = {"effective_from": f"{month}-01", "rates": rates, "reason": "contract"}
    ok(
        api.client.post(
            "/api/v1/billing/tariffs", headers=api.headers("supervisor", "tariff"), json=tariff
        )
    )
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    noon = datetime.combine(next_month, time(12), tzinfo=ZoneInfo(api.settings.site.timezone))
    # As the close route runs it, but by the system: a session would expire at that hour.
    # Closed, re-opened and closed again: the OMS hears of the superseded statements.
    with clock.use(clock.ManualClock(noon)):
        for again in ("", "-again"):
            run_command(
                api.db,
                SYSTEM,
                "billing.close_period",
                f"close-month{again}",
                [month],
                lambda conn, ctx: close_in_one_transaction(
                    conn, ctx, api.settings.site.timezone, month
                ),
            )
            if not again:
                run_command(
                    api.db,
                    SYSTEM,
                    "billing.reopen_period",
                    "reopen-month",
                    [month],
                    lambda conn, ctx: billing.reopen_period(conn, ctx, month, "recheck"),
                )


@pytest.fixture
def journal(api: Api) -> list[dict[str, Any]]:
    seed_demo(api.db, api.settings, log=lambda _: None)
    log_in_demo_users(api)
    receive_and_put_away(api)
    pick_pack_and_ship(api)
    correct_stock_by_hand(api)
    count_and_correct(api)
    reconcile_with_the_oms(api)
    raise_and_clear_an_alert(api)
    bill_the_month(api)
    rows = api.db.read(
        lambda conn: conn.execute(
            "SELECT seq, type, version, payload FROM events ORDER BY seq"
        ).fetchall()
    )
    return [{**dict(r), "payload": msgspec.json.decode(r["payload"])} for r in rows]


# -- the tests ---------------------------------------------------------------------------


def contract_problems(event: dict[str, Any]) -> list[str]:
    """What is wrong with one journal row against the contract (empty when it conforms)."""
    where = f"event {event['seq']} {event['type']}"
    spec = CONTRACT.get(event["type"])
    if spec is None:
        return [f"{where}: not in the contract (add it to server/sync/contract.py)"]
    problems = []
    if event["version"] != spec.version:
        problems.append(f"{where}: version {event['version']}, the contract says {spec.version}")
    try:
        payload = msgspec.convert(event["payload"], spec.payload, strict=True)
    except msgspec.ValidationError as err:
        return [*problems, f"{where}: {err}"]
    if msgspec.to_builtins(payload) != event["payload"]:
        problems.append(f"{where}: fields not in {spec.payload.__name__}: {event['payload']}")
    if event["type"].startswith("stock.") and event["payload"]["kind"] != event["type"][6:]:
        problems.append(f"{where}: kind {event['payload']['kind']}")
    return problems


def test_every_event_of_a_day_on_the_floor_is_in_the_contract(
    journal: list[dict[str, Any]],
) -> None:
    problems = [p for event in journal for p in contract_problems(event)]
    assert problems == []
    seen = {event["type"] for event in journal}
    assert MUST_APPEAR - seen == set()
    # Every documented type really happens: a type in the contract that the floor no
    # longer writes (or this day does not drive yet) shows up here.
    assert set(CONTRACT) - seen == set()


def test_the_webhook_sends_the_journal_as_an_event_batch(
    api: Api, journal: list[dict[str, Any]]
) -> None:
    rows = api.db.read(
        lambda conn: conn.execute(
            "SELECT seq, epoch, at, type, version, payload FROM events ORDER BY seq"
        ).fetchall()
    )
    body = msgspec.json.decode(batch_body(api.settings, rows))
    batch = msgspec.convert(body, EventBatch, strict=True)
    assert msgspec.to_builtins(batch) == body
    assert [e.payload for e in batch.events] == [e["payload"] for e in journal]
    assert [e.key for e in batch.events] == [f"SITE1:{r['epoch']}:{r['seq']}" for r in rows]


def test_every_example_converts_to_its_struct_unchanged() -> None:
    problems = []
    for name, spec in CONTRACT.items():
        event = {"seq": 0, "type": name, "version": spec.version, "payload": spec.example}
        problems += contract_problems(event)
    assert problems == []


def test_the_check_refuses_unknown_types_other_versions_and_undocumented_fields() -> None:
    example = CONTRACT["order.shipped"].example
    event = {"seq": 7, "type": "order.shipped", "version": 1, "payload": example}
    assert contract_problems(event) == []
    wrong = [
        {**event, "type": "order.teleported"},
        {**event, "version": 2},
        {**event, "payload": {**example, "plate": "粤B12345"}},
        {**event, "payload": {k: v for k, v in example.items() if k != "list_no"}},
        {**event, "payload": {**example, "list_no": 17}},
    ]
    assert [len(contract_problems(e)) for e in wrong] == [1, 1, 1, 1, 1]


def test_order_states_in_the_contract_are_the_floors() -> None:
    assert typing.get_args(OrderState) == ORDER_STATES


def test_the_schema_route_answers_the_oms_and_supervisors_every_type(api: Api) -> None:
    for role in ("supervisor", "oms"):
        answer = api.get("/api/v1/events/schema", role=role)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body["types"]) == set(CONTRACT)
        for name, doc in body["types"].items():
            assert doc["version"] == CONTRACT[name].version
            assert doc["example"] == CONTRACT[name].example
            assert doc["schema"]["$ref"].removeprefix("#/components/") in body["components"]
        assert body["batch"] == {"$ref": "#/components/EventBatch"}
        assert {"EventBatch", "EventOut", "StockMoved"} <= set(body["components"])
        assert {e["type"] for e in body["example_batch"]["events"]} == set(CONTRACT)
        assert body["example_batch"]["site"] == api.settings.site.code


def test_the_schema_route_refuses_a_picker(api: Api) -> None:
    answer = api.get("/api/v1/events/schema", role="picker")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ROLE_NOT_ALLOWED"


def test_the_envelope_is_in_the_openapi_document(api: Api) -> None:
    schemas = api.client.get("/schema/openapi.json").json()["components"]["schemas"]
    assert {"EventBatch", "EventOut"} <= set(schemas)


def test_docs_events_md_is_rendered_from_the_contract() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/events.md is out of date: run `python -m server.sync.contract > docs/events.md`"
    )
