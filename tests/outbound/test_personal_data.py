"""Each role sees what its step needs: the floor sees a recipient as the face sheet prints
it (张*丰, 138****5678, the middle of the address hidden); supervisors, admins and the OMS
see it whole. Checked on the order routes and swept over every route that reads."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.config import ROLES
from server.outbound.label import mask_address, mask_name, mask_phone
from server.privacy import FULL_VIEW_ROLES
from tests.conftest import Api
from tests.outbound.helpers import (
    SOAP,
    add_order,
    order_json,
    pack,
    picked_order,
    put_stock,
)

RECIPIENT = order_json([])["recipient"]
FULL = (RECIPIENT["name"], RECIPIENT["phone"], RECIPIENT["address"])
MASKED = {"name": "张*丰", "phone": "138****5678"}
FLOOR = sorted({*ROLES, "station"} - FULL_VIEW_ROLES)
MANAGERS = sorted(FULL_VIEW_ROLES)


def assert_no_personal_data(text: str, where: str) -> None:
    for value in FULL:
        assert value not in text, f"{where} shows {value}"
    # The address's hidden middle must not show in pieces either.
    assert "十八号" not in text, where


def assert_masked(recipient: dict[str, Any]) -> None:
    assert {k: recipient[k] for k in MASKED} == MASKED
    assert recipient["address"] != RECIPIENT["address"]
    assert recipient["address"].startswith(RECIPIENT["address"][:2]) and "*" in recipient["address"]
    assert recipient["city"] == RECIPIENT["city"]  # the region stays: it sorts the parcel


@pytest.fixture
def orders(site: Api) -> dict[str, dict[str, Any]]:
    """One order waiting in a tote for packing, one packed."""
    put_stock(site, "A-1", "S1", 10)
    waiting = picked_order(site, [{"sku": "S1", "quantity": 1}], tote="T-1")
    packed = picked_order(site, [{"sku": "S1", "quantity": 1}], tote="T-2")
    assert pack(site, packed["id"], [SOAP]).status_code == 200
    new = add_order(site, [{"sku": "S1", "quantity": 1}])
    return {"waiting": waiting, "packed": packed, "new": new}


@pytest.mark.parametrize("role", ["picker", "packer", "dock"])
def test_floor_roles_get_the_order_with_the_recipient_masked(
    site: Api, orders: dict[str, dict[str, Any]], role: str
) -> None:
    for order in orders.values():
        detail = site.get(f"/api/v1/orders/{order['id']}", role=role)
        assert detail.status_code == 200, detail.text
        assert_masked(detail.json()["label"]["recipient"])
        assert_no_personal_data(detail.text, f"order detail for {role}")
        found = site.get("/api/v1/orders/lookup", role=role, params={"code": order["waybill_no"]})
        assert found.status_code == 200, found.text
        assert_masked(found.json()["label"]["recipient"])
        assert_no_personal_data(found.text, f"order lookup for {role}")


@pytest.mark.parametrize("role", MANAGERS)
def test_supervisors_admins_and_the_oms_see_the_recipient_whole(
    site: Api, orders: dict[str, dict[str, Any]], role: str
) -> None:
    order = orders["packed"]
    detail = site.get(f"/api/v1/orders/{order['id']}", role=role).json()
    assert detail["label"]["recipient"] == RECIPIENT
    found = site.get("/api/v1/orders/lookup", role=role, params={"code": order["order_no"]})
    assert found.json()["label"]["recipient"] == RECIPIENT


def test_the_packer_opening_an_order_sees_it_masked_and_the_label_is_unchanged(
    site: Api, orders: dict[str, dict[str, Any]]
) -> None:
    opened = site.get("/api/v1/packing/open", role="packer", params={"scan": "T-1"})
    assert opened.status_code == 200, opened.text
    assert_masked(opened.json()["label"]["recipient"])
    scanned = site.post(
        f"/api/v1/orders/{orders['waiting']['id']}/pack-scans",
        role="packer",
        json={"scan": SOAP, "station": "pack-01"},
    )
    assert_no_personal_data(scanned.text, "a pack scan's answer")
    done = pack(site, orders["waiting"]["id"], [], weight_g=500)
    assert done.status_code == 200, done.text
    label = done.json()["label"]["recipient"]
    assert (label["name"], label["phone"]) == ("张*丰", "138****5678")
    assert label["region"] == "广东省 深圳市 南山区"


def test_answers_kept_for_replays_hold_no_full_recipient(
    site: Api, orders: dict[str, dict[str, Any]]
) -> None:
    """What a command answered is stored under its key: it is as masked as the answer."""
    stored = site.db.read(
        lambda conn: [r[0] for r in conn.execute("SELECT result FROM commands").fetchall()]
    )
    for result in stored:
        assert_no_personal_data(result, "a stored command result")


def test_a_pack_bench_shows_its_open_order_masked(
    site: Api, orders: dict[str, dict[str, Any]]
) -> None:
    opened = site.post("/api/v1/stations/pack-01/scans", role="packer", json={"code": "T-1"})
    assert opened.status_code == 200, opened.text
    assert opened.json()["outcome"] == "ok", opened.text
    assert_no_personal_data(opened.text, "the station's answer to a scan")
    for role in ("packer", "dock"):
        view = site.get("/api/v1/stations/pack-01", role=role)
        assert view.status_code == 200, view.text
        assert_masked(view.json()["order"]["label"]["recipient"])
        assert_no_personal_data(view.text, f"the pack bench as {role}")


@given(st.text(max_size=60), st.text(alphabet="0123456789 -", max_size=20))
def test_masking_a_masked_recipient_leaves_it_as_it_is(text: str, phone: str) -> None:
    """Packing draws the face sheet from the masked view: the label must come out the same."""
    for mask, value in ((mask_name, text), (mask_address, text), (mask_phone, phone)):
        assert mask(mask(value)) == mask(value)


def _path(route: str, order: dict[str, Any]) -> str:
    known = {"order_id": order["id"], "name": "pack-01", "code": "T-1"}
    return re.sub(
        r"\{(\w+):(\w+)\}",
        lambda m: str(known.get(m.group(1), 1 if m.group(2) == "int" else "x")),
        route,
    )


def test_no_route_that_reads_shows_a_floor_role_the_full_recipient(
    site: Api, orders: dict[str, dict[str, Any]]
) -> None:
    """Every GET route of the app (found from the app, so a new one is swept too), as every
    floor role and a station, with the orders' numbers offered wherever a route takes them."""
    app = site.client.app
    routes = sorted(
        r.path
        for r in app.routes
        if "GET" in getattr(r, "methods", ()) and r.path.startswith("/api/")
    )
    assert "/api/v1/orders/{order_id:int}" in routes
    answered = 0
    for order in orders.values():
        offers = {
            "code": order["waybill_no"],
            "scan": order["waybill_no"],
            "kind": "waybill",
            "value": order["waybill_no"],
            "q": order["order_no"],
        }
        for route in routes:
            for role in FLOOR:
                answer = site.get(_path(route, order), role=role, params=offers)
                if answer.status_code == 200:  # refusals and errors carry no order data
                    answered += 1
                    assert_no_personal_data(answer.text, f"GET {route} as {role}")
    assert answered > 50  # the sweep reached real answers, not only refusals
