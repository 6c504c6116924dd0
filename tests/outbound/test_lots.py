"""Lots at the pick and the pack: a lot-tracked SKU scanned by its plain EAN needs its lot
confirmed (the GS1 lot in the scan, a lot label scan, or a choice the site allows), and a
reserved lot that has expired since is not picked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.commands import Actor, CommandContext
from server.config import Settings, site_day
from server.errors import Unprocessable
from server.outbound import picking
from server.outbound.schemas import PickConfirm
from tests.conftest import Api
from tests.outbound.helpers import (
    CREAM,
    SOAP,
    balance,
    next_task,
    outbound_settings,
    pick,
    picked_order,
    put_stock,
    released_order,
    wave,
)

GS1_CREAM = f"01{CREAM.zfill(14)}"


def cream_task(site: Api, quantity: int = 1) -> dict[str, Any]:
    order = released_order(site, [{"sku": "S3", "quantity": quantity}])
    built = wave(site, order_nos=[order["order_no"]])
    task = next_task(site, built["id"])
    assert task is not None
    return task


def error(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    body: dict[str, Any] = answer.json()["error"]
    return body


@pytest.fixture
def stocked(site: Api) -> Api:
    put_stock(site, "A-2", "S3", 5, lot="L1", expiry="2027-05-31")
    return site


# -- picking -----------------------------------------------------------------------------


def test_a_plain_ean_pick_of_a_lot_tracked_sku_needs_its_lot_confirmed(stocked: Api) -> None:
    site = stocked
    task = cream_task(site)
    assert task["lot_to_confirm"] is True
    refused = error(pick(site, task, "T-1", item=CREAM, lot=None))
    assert refused["code"] == "LOT_CONFIRMATION_REQUIRED"
    assert refused["details"] == {
        "sku": "S3",
        "policy": "scan",
        "lots": ["L1"],
        "chosen_refused": False,
    }
    assert balance(site, "T-1") == {}
    wrong = error(pick(site, task, "T-1", item=CREAM, lot="L9"))
    assert (wrong["code"], wrong["details"]["scanned"]) == ("LOT_MISMATCH", "L9")
    # A choice is not a confirmation where the site asks for the label.
    chosen = site.post(
        f"/api/v1/pick-tasks/{task['id']}/confirm",
        role="picker",
        json={
            "location": "A-2",
            "item": CREAM,
            "quantity": 1,
            "tote": "T-1",
            "lot_choice": "L1",
        },
    )
    assert error(chosen)["details"]["chosen_refused"] is True
    done = pick(site, task, "T-1", item=CREAM, lot="L1")
    assert done.status_code == 200, done.text
    assert balance(site, "T-1") == {("S3", "L1"): 1}


@pytest.mark.parametrize(
    ("item", "lot"),
    [
        (f"]C1{GS1_CREAM}10L1", None),  # the item scan carries the lot (AI 10)
        (CREAM, "]C110L1"),  # a lot label printed as GS1-128 with AI 10
        ("S3", "L1"),  # the SKU code, then the lot text itself
    ],
)
def test_a_lot_from_the_scan_or_the_lot_label_confirms_the_pick(
    stocked: Api, item: str, lot: str | None
) -> None:
    task = cream_task(stocked)
    answer = pick(stocked, task, "T-1", item=item, lot=lot)
    assert answer.status_code == 200, answer.text


def test_the_pick_check_asks_for_the_lot_label_and_checks_it(stocked: Api) -> None:
    task = cream_task(stocked)
    check = lambda **body: stocked.post(  # noqa: E731
        f"/api/v1/pick-tasks/{task['id']}/check", role="picker", json=body
    )
    plain = check(item=CREAM).json()["item"]
    assert (plain["lot_needed"], plain["lot_policy"]) == (True, "scan")
    assert check(item=f"{GS1_CREAM}10L1").json()["item"]["lot_needed"] is False
    assert check(lot="L1").json()["lot"] == "L1"
    assert error(check(lot="L2"))["code"] == "LOT_MISMATCH"


def test_a_sku_without_lots_needs_no_lot(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = released_order(site, [{"sku": "S1", "quantity": 1}])
    task = next_task(site, wave(site, order_nos=[order["order_no"]])["id"])
    assert task is not None and task["lot_to_confirm"] is False
    assert pick(site, task, "T-1", item=SOAP).status_code == 200


class TestChoosingSites:
    """A site whose goods carry no lot label lets the worker choose the lot."""

    @pytest.fixture
    def settings(self, tmp_path: Any) -> Settings:
        return outbound_settings(tmp_path, lot_confirmation="choose")

    def test_a_choice_among_the_reserved_lots_confirms_the_pick(self, stocked: Api) -> None:
        task = cream_task(stocked)
        refused = error(pick(stocked, task, "T-1", item=CREAM, lot=None))
        assert refused["details"]["policy"] == "choose"
        body = {"location": "A-2", "item": CREAM, "quantity": 1, "tote": "T-1"}
        url = f"/api/v1/pick-tasks/{task['id']}/confirm"
        wrong = stocked.post(url, role="picker", json={**body, "lot_choice": "L9"})
        assert error(wrong)["code"] == "LOT_MISMATCH"
        right = stocked.post(url, role="picker", json={**body, "lot_choice": "L1"})
        assert right.status_code == 200, right.text

    def test_a_choice_among_the_lots_in_the_tote_confirms_the_pack(self, site: Api) -> None:
        put_stock(site, "A-2", "S3", 1, lot="L1", expiry="2027-05-31")
        order = picked_order(site, [{"sku": "S3", "quantity": 1}])
        url = f"/api/v1/orders/{order['id']}/pack-scans"
        body = {"scan": CREAM, "station": "pack-01", "lot_choice": "L1"}
        answer = site.post(url, role="packer", json=body)
        assert answer.status_code == 200, answer.text


# -- packing -----------------------------------------------------------------------------


def test_a_plain_ean_pack_of_a_lot_tracked_sku_needs_a_lot_in_the_tote(site: Api) -> None:
    put_stock(site, "A-2", "S3", 1, lot="L1", expiry="2027-05-31")
    put_stock(site, "A-3", "S3", 1, lot="L2", expiry="2027-08-31")
    order = picked_order(site, [{"sku": "S3", "quantity": 2}])
    assert balance(site, "T-1") == {("S3", "L1"): 1, ("S3", "L2"): 1}
    url = f"/api/v1/orders/{order['id']}/pack-scans"
    scan = lambda **extra: site.post(  # noqa: E731
        url, role="packer", json={"scan": CREAM, "station": "pack-01", **extra}
    )
    refused = error(scan())
    assert refused["code"] == "LOT_CONFIRMATION_REQUIRED"
    assert (refused["details"]["lots"], refused["details"]["policy"]) == (["L1", "L2"], "scan")
    assert error(scan(lot_choice="L2"))["code"] == "LOT_CONFIRMATION_REQUIRED"
    assert error(scan(lot="L7"))["code"] == "LOT_MISMATCH"
    assert scan(lot="L2").status_code == 200
    again = error(scan(lot="L2"))  # its one unit is in the parcel already
    assert (again["code"], again["details"]["lots"]) == ("LOT_MISMATCH", ["L1"])
    assert scan(lot="]C110L1").json()["complete"] is True
    packed = site.db.read(
        lambda conn: sorted(
            r[0]
            for r in conn.execute("SELECT lot FROM pack_scans WHERE order_id = ?", (order["id"],))
        )
    )
    assert packed == ["L1", "L2"]


# -- expiry at the pick ------------------------------------------------------------------


def test_a_reserved_lot_that_expired_since_is_not_picked_and_is_reported_short(
    site: Api,
) -> None:
    today = site_day(site.settings, datetime.now(UTC).isoformat())
    put_stock(site, "A-2", "S3", 3, lot="LX", expiry=today.isoformat())  # good until tonight
    task = cream_task(site)
    assert task["expiry"] == today.isoformat()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="milliseconds")
    picker = Actor(kind="user", code="picker01", roles=frozenset({"picker"}), device="test-picker")
    body = PickConfirm(location="A-2", item=CREAM, quantity=1, tote="T-1", lot="LX")

    def confirm_at(at: str) -> Any:
        ctx = CommandContext(actor=picker, key=f"pick-at-{at}", at=at)
        return site.db._write(
            lambda conn: picking.confirm_pick(conn, ctx, site.settings, task["id"], body)
        )

    with pytest.raises(Unprocessable) as refused:
        confirm_at(tomorrow)
    assert refused.value.code == "PICK_LOT_EXPIRED"
    assert refused.value.details == {
        "lot": "LX",
        "expiry": today.isoformat(),
        "today": (today + timedelta(days=1)).isoformat(),
    }
    assert balance(site, "T-1") == {}
    short = site.post(
        f"/api/v1/pick-tasks/{task['id']}/short", role="picker", json={"reason": "expired"}
    )
    assert short.status_code == 200, short.text
    assert short.json()["order_state"] == "short"
