"""A count that overlaps a pick: the frozen location refuses the pick scan and the
confirm, allocation passes it by, and a pick after the count makes its difference stale
(STOCK_MOVED_SINCE_COUNT) until a recount gives the right stock."""

from __future__ import annotations

from typing import Any

import pytest

from server.config import Settings
from tests.conftest import Api
from tests.counts.helpers import count_location, ok, pending_proposals
from tests.outbound.helpers import (
    SOAP,
    add_order,
    balance,
    next_task,
    outbound_settings,
    pick,
    put_stock,
    release,
    seed_outbound,
    wave,
)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return outbound_settings(tmp_path)


def test_count_overlapping_a_pick_ends_with_the_right_stock(api: Api) -> None:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 10)
    order = add_order(api, [{"sku": "S1", "quantity": 3}])
    release(api, order["order_no"])
    built = wave(api, order_nos=[order["order_no"]])
    task = next_task(api, built["id"])
    assert task is not None and task["location"] == "A-1"

    ok(api.post("/api/v1/counts/start", role="counter", json={"location": "A-1"}))
    scan = api.post(
        f"/api/v1/pick-tasks/{task['id']}/check", role="picker", json={"location": "A-1"}
    )
    assert scan.status_code == 409 and scan.json()["error"]["code"] == "LOCATION_FROZEN"
    confirm = pick(api, task, "T-1")
    assert confirm.status_code == 409 and confirm.json()["error"]["code"] == "LOCATION_FROZEN"
    assert balance(api, "A-1") == {("S1", ""): 10}
    # another order is not allocated on the frozen location
    put_stock(api, "A-2", "S1", 5)
    other = add_order(api, [{"sku": "S1", "quantity": 2}])
    release(api, other["order_no"])
    second = wave(api, order_nos=[other["order_no"]])
    places = api.db.read(
        lambda c: [
            r[0]
            for r in c.execute(
                "SELECT l.code FROM allocations a JOIN locations l ON l.id = a.location_id "
                "WHERE a.wave_id = ?",
                (second["id"],),
            )
        ]
    )
    assert places == ["A-2"]

    # the counter finds 9 (one unit is gone), the count ends, the freeze with it
    [task_id] = api.db.read(
        lambda c: [r[0] for r in c.execute("SELECT id FROM count_tasks WHERE status = 'counting'")]
    )
    ok(
        api.post(
            f"/api/v1/counts/{task_id}/lines", role="counter", json={"item": SOAP, "quantity": 9}
        )
    )
    assert (
        ok(api.post(f"/api/v1/counts/{task_id}/submit", role="counter"))["outcome"] == "proposals"
    )
    # now the pick goes through: 3 of the 9 really there leave
    assert pick(api, task, "T-1").status_code == 200
    assert balance(api, "A-1") == {("S1", ""): 7}
    [stale] = pending_proposals(api)
    refused = api.post(
        f"/api/v1/count-proposals/{stale['id']}/approve", json={"reason": "count_loss"}
    )
    assert refused.json()["error"]["code"] == "STOCK_MOVED_SINCE_COUNT"
    assert balance(api, "A-1") == {("S1", ""): 7}  # not overwritten with 9 - 3 twice
    # the recount the refusal asks for: 6 are there, the ledger ends at 6
    recount = count_location(api, "A-1", [{"item": SOAP, "quantity": 6}])
    assert recount["outcome"] == "recount"  # 1 of 7 is beyond 10 %: counted once more
    assert pending_proposals(api) == []  # the stale difference is closed
    count_location(api, "A-1", [{"item": SOAP, "quantity": 6}])
    [fresh] = pending_proposals(api)
    assert fresh["delta"] == -1
    ok(api.post(f"/api/v1/count-proposals/{fresh['id']}/approve", json={"reason": "count_loss"}))
    assert balance(api, "A-1") == {("S1", ""): 6}


def test_approved_loss_of_reserved_units_is_refused_by_the_ledger(api: Api) -> None:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 10)
    order = add_order(api, [{"sku": "S1", "quantity": 8}])
    release(api, order["order_no"])
    wave(api, order_nos=[order["order_no"]])  # 8 of the 10 reserved
    count_location(api, "A-1", [{"item": SOAP, "quantity": 6}])
    count_location(api, "A-1", [{"item": SOAP, "quantity": 6}])  # the recount confirms
    [proposal] = pending_proposals(api)
    refused = api.post(
        f"/api/v1/count-proposals/{proposal['id']}/approve", json={"reason": "count_loss"}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "STOCK_RESERVED"
    assert balance(api, "A-1") == {("S1", ""): 10}
    assert pending_proposals(api) == [proposal]  # still to decide once the order is shorted
