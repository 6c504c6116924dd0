"""Cycle counts through the API: freeze, blind answers, recount, proposals, approval."""

from __future__ import annotations

from typing import Any

from server.ledger.service import balances_from_movements, stored_balances
from tests.conftest import Api, receive_by_flow, seed_basics, table_counts
from tests.counts.helpers import count_location, ok, pending_proposals

SOAP = "6901234567892"


def stock(api: Api, location: str = "A-1") -> int:
    return api.db.read(
        lambda conn: conn.execute(
            "SELECT COALESCE(SUM(b.quantity), 0) FROM balances b "
            "JOIN locations l ON l.id = b.location_id WHERE l.code = ?",
            (location,),
        ).fetchone()[0]
    )


def receive(api: Api, quantity: int, to: str = "A-1", lot: str = "") -> None:
    body = {
        "kind": "receive",
        "reason": "opening_balance",
        "customer": "C1",
        "sku": "S1",
        "quantity": quantity,
        "lot": lot,
    }
    ok(api.post("/api/v1/ledger/movements", json={**body, "to_location": to}))


def seeded(api: Api, quantity: int = 20) -> Api:
    seed_basics(api)
    receive(api, quantity)
    return api


def has_expected(value: Any) -> bool:
    """Whether an answer carries an expected quantity or a difference anywhere."""
    if isinstance(value, dict):
        keys = {"expected", "difference", "delta"}
        return bool(keys & value.keys()) or any(has_expected(v) for v in value.values())
    if isinstance(value, list):
        return any(has_expected(v) for v in value)
    return False


def test_small_difference_becomes_a_proposal_and_approval_changes_stock(api: Api) -> None:
    seeded(api, 20)
    done = count_location(api, "A-1", [{"item": SOAP, "quantity": 19}])
    assert done["outcome"] == "proposals" and done["recount_task"] is None
    [proposal] = pending_proposals(api)
    assert (proposal["expected"], proposal["counted"], proposal["delta"]) == (20, 19, -1)
    assert stock(api) == 20  # nothing changes before approval
    approved = ok(
        api.post(f"/api/v1/count-proposals/{proposal['id']}/approve", json={"reason": "count_loss"})
    )
    assert approved["status"] == "approved"
    assert stock(api) == 19
    movement = api.db.read(
        lambda conn: conn.execute(
            "SELECT kind, reason, document, from_location_id FROM movements ORDER BY id DESC"
        ).fetchone()
    )
    assert tuple(movement)[:3] == ("count", "count_loss", f"COUNT-{done['task']}")
    types = api.db.read(lambda c: [r[0] for r in c.execute("SELECT type FROM events")])
    assert "count.finished" in types and types[-1] == "stock.count"
    assert api.db.read(lambda c: stored_balances(c) == balances_from_movements(c))


def test_big_difference_makes_a_blind_recount_whose_result_is_proposed(api: Api) -> None:
    seeded(api, 20)
    first = count_location(api, "A-1", [{"item": SOAP, "quantity": 12}])
    assert first["outcome"] == "recount" and first["recount_task"]
    assert pending_proposals(api) == []
    second = count_location(api, "A-1", [{"item": SOAP, "quantity": 12}])
    assert second["task"] == first["recount_task"]
    assert second["outcome"] == "proposals"
    [proposal] = pending_proposals(api)
    assert proposal["delta"] == -8
    ok(api.post(f"/api/v1/count-proposals/{proposal['id']}/approve", json={"reason": "count_loss"}))
    assert stock(api) == 12


def test_counters_never_see_expected_quantities(api: Api) -> None:
    seeded(api, 20)
    task = ok(api.post("/api/v1/counts/start", role="counter", json={"location": "A-1"}))
    assert task["lines"] == [] and not has_expected(task)
    line = ok(
        api.post(
            f"/api/v1/counts/{task['id']}/lines", role="counter", json={"item": SOAP, "quantity": 3}
        )
    )
    answers = [
        line,
        ok(api.get(f"/api/v1/counts/{task['id']}", role="counter")),
        ok(api.get("/api/v1/counts/next", role="counter")),
        ok(api.get("/api/v1/counts?status=counting", role="counter")),
        ok(api.post(f"/api/v1/counts/{task['id']}/submit", role="counter")),
    ]
    assert [a for a in answers if has_expected(a)] == []
    assert line["lines"][0]["counted"] == 3
    # the supervisor sees what was expected and the difference
    view = ok(api.get(f"/api/v1/counts/{task['id']}"))
    assert view["lines"][0]["expected"] == 20 and view["lines"][0]["difference"] == -17
    # and the counter may not look the stock up either
    assert api.get("/api/v1/stock/lookup?code=A-1", role="counter").status_code == 403


def test_frozen_location_refuses_moves_and_allocation_until_submitted(api: Api) -> None:
    seeded(api, 20)
    task = ok(api.post("/api/v1/counts/start", role="counter", json={"location": "A-1"}))
    before = table_counts(api.db)
    move = {"kind": "move", "customer": "C1", "sku": "S1", "quantity": 1, "reason": "relocation"}
    refused = api.post(
        "/api/v1/ledger/movements", json={**move, "from_location": "A-1", "to_location": "A-2"}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "LOCATION_FROZEN"
    into = api.post(
        "/api/v1/ledger/movements", json={**move, "from_location": "A-2", "to_location": "A-1"}
    )
    assert into.json()["error"]["code"] in ("LOCATION_FROZEN", "INSUFFICIENT_STOCK")
    receipt = api.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "C1",
            "sku": "S1",
            "quantity": 1,
            "to_location": "A-1",
        },
    )
    assert receipt.json()["error"]["code"] == "LOCATION_FROZEN"
    assert {k: v for k, v in table_counts(api.db).items() if k != "commands"} == {
        k: v for k, v in before.items() if k != "commands"
    }
    frozen = api.db.read(
        lambda conn: conn.execute(
            "SELECT COUNT(*) FROM count_tasks WHERE status = 'counting'"
        ).fetchone()[0]
    )
    assert frozen == 1
    from datetime import date

    from server.outbound.allocation import candidate_stock

    def candidates() -> list[Any]:
        return api.db.read(
            lambda conn: candidate_stock(
                conn, customer_id=1, sku_id=1, lot="", fefo=False, today=date.today()
            )
        )

    assert candidates() == []
    ok(api.post(f"/api/v1/counts/{task['id']}/submit", role="counter"))
    assert len(candidates()) == 1
    ok(
        api.post(
            "/api/v1/ledger/movements", json={**move, "from_location": "A-1", "to_location": "A-2"}
        )
    )


def test_another_user_cannot_count_a_frozen_location(api: Api) -> None:
    seeded(api)
    task = ok(api.post("/api/v1/counts/start", role="counter", json={"location": "A-1"}))
    other = api.post("/api/v1/counts/start", role="supervisor", json={"location": "A-1"})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "LOCATION_BEING_COUNTED"
    again = api.post("/api/v1/counts/start", role="counter", json={"location": "A-1"})
    assert again.json()["id"] == task["id"]  # the counter resumes their own count


def test_bad_input_gets_clear_codes_and_changes_nothing(api: Api) -> None:
    seeded(api, 20)
    task = ok(api.post("/api/v1/counts/start", role="counter", json={"location": "A-1"}))
    negative = api.post(
        f"/api/v1/counts/{task['id']}/lines", role="counter", json={"item": SOAP, "quantity": -1}
    )
    assert negative.status_code == 400
    assert negative.json()["error"]["code"] == "VALIDATION_FAILED"
    unknown = api.post(
        f"/api/v1/counts/{task['id']}/lines", role="counter", json={"item": "NOPE", "quantity": 1}
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "ITEM_UNKNOWN"
    ok(
        api.post(
            f"/api/v1/counts/{task['id']}/lines",
            role="counter",
            json={"item": SOAP, "quantity": 19},
        )
    )
    ok(api.post(f"/api/v1/counts/{task['id']}/submit", role="counter"))
    [proposal] = pending_proposals(api)
    path = f"/api/v1/count-proposals/{proposal['id']}/approve"
    for role in ("counter", "picker"):
        denied = api.post(path, role=role, json={"reason": "count_loss"})
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "ROLE_NOT_ALLOWED"
    bad_reason = api.post(path, json={"reason": "because"})
    assert bad_reason.status_code == 400
    assert stock(api) == 20
    ok(api.post(path, json={"reason": "count_loss"}))
    twice = api.post(path, json={"reason": "count_loss"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "PROPOSAL_DECIDED"
    assert stock(api) == 19
    missing = api.post("/api/v1/count-proposals/999/approve", json={"reason": "count_loss"})
    assert missing.status_code == 404


def test_approval_refused_when_stock_moved_since_the_count(api: Api) -> None:
    seeded(api, 20)
    count_location(api, "A-1", [{"item": SOAP, "quantity": 19}])
    [proposal] = pending_proposals(api)
    move = {"kind": "move", "customer": "C1", "sku": "S1", "quantity": 5, "reason": "relocation"}
    ok(
        api.post(
            "/api/v1/ledger/movements", json={**move, "from_location": "A-1", "to_location": "A-2"}
        )
    )
    refused = api.post(
        f"/api/v1/count-proposals/{proposal['id']}/approve", json={"reason": "count_loss"}
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "STOCK_MOVED_SINCE_COUNT" and error["details"]["recount"] is True
    assert stock(api) == 15
    # a new count replaces the stale difference
    count_location(api, "A-1", [{"item": SOAP, "quantity": 14}])
    statuses = ok(api.get("/api/v1/count-proposals?status="))
    assert sorted(p["status"] for p in statuses) == ["pending", "rejected"]


def test_found_item_not_expected_is_proposed_as_a_gain(api: Api) -> None:
    seeded(api, 20)
    done = count_location(api, "A-2", [{"item": SOAP, "quantity": 2}])
    assert done["outcome"] == "recount"  # anything found where nothing was expected
    count_location(api, "A-2", [{"item": "S1", "quantity": 2}])
    [proposal] = pending_proposals(api)
    assert (proposal["location"], proposal["expected"], proposal["delta"]) == ("A-2", 0, 2)
    ok(api.post(f"/api/v1/count-proposals/{proposal['id']}/approve", json={"reason": "found"}))
    assert stock(api, "A-2") == 2


def test_supervisor_creates_tasks_by_zone_sku_and_class_and_cancels(api: Api) -> None:
    seeded(api, 20)
    by_zone = ok(api.post("/api/v1/counts", json={"zone": "A"}))
    assert [t["location"] for t in by_zone["created"]] == ["A-1", "A-2", "A-3"]
    by_sku = ok(api.post("/api/v1/counts", json={"sku": {"customer": "C1", "sku": "S1"}}))
    assert by_sku == {"created": [], "already_planned": ["A-1"]}
    for task in by_zone["created"]:
        ok(api.post(f"/api/v1/counts/{task['id']}/cancel"))
    by_class = ok(api.post("/api/v1/counts", json={"abc_class": "C"}))
    assert [t["location"] for t in by_class["created"]] == ["A-1"]
    assert api.post("/api/v1/counts", json={"abc_class": "A"}).json()["error"]["code"] == (
        "NOTHING_TO_COUNT"
    )
    both = api.post("/api/v1/counts", json={"zone": "A", "abc_class": "A"})
    assert both.status_code == 400 and both.json()["error"]["code"] == "COUNT_SCOPE"
    assert api.post("/api/v1/counts", role="counter", json={"zone": "A"}).status_code == 403
    nxt = ok(api.get("/api/v1/counts/next", role="counter"))
    assert nxt["location"] == "A-1" and nxt["status"] == "open"


def test_put_away_suggestion_passes_a_frozen_location_by(api: Api) -> None:
    seeded(api, 20)
    receive_by_flow(api, customer="C1", sku="S1", quantity=4, to_location="DOCK-1")

    def suggested() -> str:
        found = ok(api.get(f"/api/v1/putaway/suggest?location=DOCK-1&item={SOAP}"))
        return str(found["stock"][0]["suggestion"]["location"])

    assert suggested() == "A-1"  # where the same SKU lies
    ok(api.post("/api/v1/counts/start", role="counter", json={"location": "A-1"}))
    assert suggested() != "A-1"
