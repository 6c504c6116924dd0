"""The Qimen-style dialect: a closed receipt, a departed parcel and a stock correction reach
the OMS as entryorder.confirm, deliveryorder.confirm and inventory.report with the
event's key as outBizCode; a `<flag>failure</flag>` answer stops delivery like a 4xx."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest

from server.config import OmsSettings, Secrets, Settings, StationSettings
from server.omssim.receiver import FaultsIn, Receiver
from server.omssim.store import SimStore
from server.sync import qimen
from server.sync.dialects import Answer
from server.sync.outbox import Outbox
from tests.conftest import Api
from tests.dock.test_checkout import packed_parcel, ready, scan, truck
from tests.outbound.helpers import SOAP, outbound_settings, put_stock, seed_outbound

SECRET = "qimen-secret"


@pytest.fixture
def oms(tmp_path: Path) -> Iterator[Receiver]:
    receiver = Receiver(SimStore(tmp_path / "oms.db"), "127.0.0.1", 0)
    receiver.start()
    yield receiver
    receiver.stop()
    receiver.store.close()


@pytest.fixture
def settings(tmp_path: Path, oms: Receiver) -> Settings:
    base = outbound_settings(tmp_path)
    base.stations.append(StationSettings(name="D1", kind="dock_door"))
    base.oms = OmsSettings(
        enabled=False,  # the test drives delivery itself
        url=f"http://127.0.0.1:{oms.port}/qimen",
        dialect="qimen",
        qimen_app_key="app-1",
        qimen_customer_id="OWNER-ERP",
        warehouse_code="SZ-BONDED",
        timeout_seconds=2,
        retry_min_seconds=0.01,
        retry_max_seconds=0.02,
    )
    return base


def outbox(settings: Settings) -> Outbox:
    return Outbox(settings, Secrets(oms_token="", oms_hmac_secret="", oms_app_secret=SECRET))


def drain(box: Outbox, api: Api) -> str:
    outcome = ""
    for _ in range(100):
        outcome = box.deliver_once(api.db)
        if outcome in ("idle", "stopped"):
            break
    return outcome


def a_day_on_the_floor(api: Api) -> dict[str, Any]:
    """A receipt closed, a parcel gone on a truck, a damaged unit written off."""
    seed_outbound(api)
    plan = api.post(
        "/api/v1/plans",
        json={
            "customer": "C1",
            "plan_no": "ASN-Q1",
            "transport": {"type": "land", "truck_plate": "粤B56789"},
            "customs_released": True,
            "lines": [{"sku": "S1", "expected_qty": 3}],
        },
    ).json()
    checked = api.post(
        f"/api/v1/plans/{plan['id']}/check-in",
        role="receiver",
        json={"reference": "粤B56789", "dock": "DOCK-1"},
    )
    assert checked.status_code == 200, checked.text
    for _ in range(3):
        got = api.post(f"/api/v1/plans/{plan['id']}/receive", role="receiver", json={"scan": SOAP})
        assert got.status_code == 200, got.text
    closed = api.post(f"/api/v1/plans/{plan['id']}/close", role="receiver", json={})
    assert closed.status_code == 200, closed.text
    put_stock(api, "A-1", "S1", 10)
    order = packed_parcel(api, "T-1")
    listed = api.post("/api/v1/loading-lists", role="dock", json=truck([order["waybill_no"]]))
    list_id = listed.json()["id"]
    ready(api, list_id)
    assert scan(api, list_id, order["waybill_no"]).status_code == 200
    departed = api.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={})
    assert departed.status_code == 200, departed.text
    written_off = api.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "adjust",
            "customer": "C1",
            "sku": "S1",
            "quantity": 1,
            "from_location": "A-1",
            "reason": "damaged",
        },
    )
    assert written_off.status_code == 200, written_off.text
    return order


def calls(oms: Receiver) -> dict[str, ET.Element]:
    taken = {}
    for e in oms.store.events("SITE1"):
        taken[e["type"]] = ET.fromstring(msgspec.json.decode(e["payload"]))
    return taken


def test_receipt_departure_and_write_off_become_qimen_calls(api: Api, oms: Receiver) -> None:
    order = a_day_on_the_floor(api)
    assert drain(outbox(api.settings), api) == "idle"
    taken = calls(oms)
    assert set(taken) == {"entryorder.confirm", "deliveryorder.confirm", "inventory.report"}

    entry = taken["entryorder.confirm"]
    assert entry.findtext("entryOrder/entryOrderCode") == "ASN-Q1"
    assert entry.findtext("entryOrder/warehouseCode") == "SZ-BONDED"
    lines = entry.findall("orderLines/orderLine")
    assert [(x.findtext("itemCode"), x.findtext("actualQty")) for x in lines] == [("S1", "3")]
    assert lines[0].findtext("inventoryType") == "ZP"

    delivery = taken["deliveryorder.confirm"]
    assert delivery.findtext("deliveryOrder/deliveryOrderCode") == order["order_no"]
    assert delivery.findtext("deliveryOrder/expressCode") == order["waybill_no"]
    assert delivery.findtext("packages/package/weight") == "1.000"  # kg, packed at 1000 g
    assert [i.findtext("itemCode") for i in delivery.findall("packages/package/items/item")] == [
        "S1"
    ]

    report = taken["inventory.report"]
    assert report.findtext("items/item/quantity") == "-1"  # a loss is negative
    assert report.findtext("remark") == "damaged"

    # outBizCode is the event's key, so a repeat is taken once upstream.
    # The key names the journal epoch too (`site:epoch:seq`): a restore never reuses one.
    keys = api.db.read(
        lambda c: {
            r["type"]: f"SITE1:{r['epoch']}:{r['seq']}"
            for r in c.execute(
                "SELECT type, epoch, seq FROM events WHERE type IN "
                "('receipt.closed', 'order.shipped', 'stock.adjust')"
            )
        }
    )
    assert all(len(key.split(":")[1]) == 12 for key in keys.values())
    assert entry.findtext("entryOrder/outBizCode") == keys["receipt.closed"]
    assert delivery.findtext("deliveryOrder/outBizCode") == keys["order.shipped"]
    assert report.findtext("outBizCode") == keys["stock.adjust"]


def test_each_call_is_signed_over_its_parameters_and_body(api: Api) -> None:
    a_day_on_the_floor(api)
    box = outbox(api.settings)
    rows = api.db.read(
        lambda c: c.execute("SELECT * FROM events WHERE type = 'receipt.closed'").fetchall()
    )
    (call,) = api.db.read(lambda c: box.dialect.calls(c, rows))
    params = {k: v[0] for k, v in parse_qs(urlsplit(call.url).query).items()}
    given = params.pop("sign")
    assert params["method"] == "entryorder.confirm" and params["sign_method"] == "md5"
    assert params["app_key"] == "app-1" and params["customerId"] == "OWNER-ERP"
    assert given == qimen.sign(SECRET, params, call.body)
    assert given != qimen.sign(SECRET, params, call.body + b" ")


def test_a_failure_flag_stops_delivery_before_that_event(api: Api, oms: Receiver) -> None:
    a_day_on_the_floor(api)
    oms.faults.change(FaultsIn(mode="refuse"))
    box = outbox(api.settings)
    assert drain(box, api) == "stopped"
    stopped = api.db.read(lambda c: c.execute("SELECT stopped_seq FROM sync_cursor").fetchone())
    first_call = api.db.read(
        lambda c: c.execute("SELECT MIN(seq) FROM events WHERE type = 'receipt.closed'").fetchone()
    )
    assert stopped[0] == first_call[0]  # events without a call before it went through
    assert oms.store.events("SITE1") == []


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("<response><flag>success</flag><code>0</code></response>", 200),
        ("<response><flag>failure</flag><code>ITEM_UNKNOWN</code></response>", 400),
        ("<html>gateway</html>", 0),
        ("not xml", 0),
    ],
)
def test_answers_are_judged_by_their_flag(settings: Settings, answer: str, status: int) -> None:
    dialect = qimen.Qimen(settings, Secrets(oms_token="", oms_hmac_secret=""))
    assert dialect.judge(Answer(200, answer)).status == status
    assert dialect.judge(Answer(503, answer)).status == 503
