"""A day on the demo floor, driven through its real flows (the event contract's day:
receiving and closing a plan, picking, packing and shipping, an intercepted order returned
to stock, one sent to inspection, a cycle count), billed: every document and task charge
comes from those facts, once each, pointing at them."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import msgspec

from server.billing.facts import month_period
from server.config import site_today
from server.demo import demo_locations, demo_skus, seed_demo
from tests.conftest import Api
from tests.sync.test_contract import (  # noqa: F401  (settings: the floor day's stations)
    count_and_correct,
    log_in_demo_users,
    pick_pack_and_ship,
    receive_and_put_away,
    settings,
)


def _charges(api: Api, customer: str) -> dict[str, Any]:
    month = site_today(api.settings).strftime("%Y-%m")
    answer = api.get("/api/v1/billing/preview", params={"period": month, "customer": customer})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = defaultdict(lambda: {"quantity": 0, "sources": set()})
    for line in answer.json()["lines"]:
        found[line["charge_code"]]["quantity"] += line["quantity"]
        found[line["charge_code"]]["sources"] |= {(s["kind"], s["ref"]) for s in line["sources"]}
    return found


def _refs(api: Api, sql: str) -> set[str]:
    return {str(r[0]) for r in api.db.read(lambda c: c.execute(sql).fetchall())}


def test_a_floor_day_is_billed_from_its_documents_and_tasks(api: Api) -> None:
    seed_demo(api.db, api.settings, log=lambda _: None)
    log_in_demo_users(api)
    receive_and_put_away(api)
    pick_pack_and_ship(api)
    count_and_correct(api)

    hk, jp = _charges(api, "HKBEAUTY"), _charges(api, "JPHOME")
    # This month's facts only: the demo's last month has counts, parcels and labels too.
    month = site_today(api.settings).strftime("%Y-%m")
    since = month_period(month, api.settings.site.timezone).start

    closed_plans = _refs(
        api,
        "SELECT plan_no FROM delivery_plans p JOIN customers c ON c.id = p.customer_id "
        "WHERE c.code = 'HKBEAUTY' AND p.status = 'closed'",
    )
    assert closed_plans and {r for _, r in hk["inbound.plan"]["sources"]} == closed_plans
    counts = _refs(
        api, f"SELECT id FROM count_tasks WHERE status = 'submitted' AND submitted_at >= '{since}'"
    )
    assert counts and {r for _, r in hk["exception.cycle_count"]["sources"]} == counts
    receipts = _refs(
        api,
        "SELECT id FROM movements WHERE kind = 'receive' AND customer_id = "
        f"(SELECT id FROM customers WHERE code = 'HKBEAUTY') AND at >= '{since}'",
    )
    assert {r for _, r in hk["inbound.unit"]["sources"]} >= receipts

    orders = _refs(
        api,
        "SELECT DISTINCT document FROM movements m JOIN customers c "
        f"ON c.id = m.customer_id WHERE m.kind = 'pack' AND c.code = 'JPHOME' AND m.at >= '{since}'",
    )
    assert orders and {r for _, r in jp["outbound.order"]["sources"]} == orders
    labels = _refs(
        api,
        "SELECT j.id FROM print_jobs j JOIN parcels p ON p.id = j.parcel_id "
        "JOIN orders o ON o.id = p.order_id JOIN customers c ON c.id = o.customer_id "
        f"WHERE j.kind = 'face_sheet' AND j.copy_of IS NULL AND c.code = 'JPHOME' "
        f"AND j.created_at >= '{since}'",
    )
    assert labels and {r for _, r in jp["outbound.face_sheet"]["sources"]} == labels
    for kind, code in (
        ("return_to_stock", "exception.return_to_stock"),
        ("to_inspection", "exception.inspection"),
    ):
        tasks = _refs(api, f"SELECT id FROM order_tasks WHERE status = 'done' AND kind = '{kind}'")
        assert tasks and {r for _, r in jp[code]["sources"]} == tasks


def test_replays_and_re_imports_after_a_floor_day_bill_nothing_more(api: Api) -> None:
    """The demo's master data imported again under new keys, and the whole demo seeded
    again (every command a replay), after a day on the floor: no charge of last month or
    this month changes."""
    seed_demo(api.db, api.settings, log=lambda _: None)
    log_in_demo_users(api)
    receive_and_put_away(api)
    pick_pack_and_ship(api)
    today = site_today(api.settings)
    months = (today.strftime("%Y-%m"), (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))

    def bills() -> dict[tuple[str, str], Any]:
        return {
            (month, customer): api.get(
                "/api/v1/billing/preview", params={"period": month, "customer": customer}
            ).json()
            for month in months
            for customer in ("HKBEAUTY", "AUNUTRI", "JPHOME")
        }

    before = bills()
    assert all(b["lines"] for b in before.values())
    for kind, rows in (("skus", demo_skus()), ("locations", demo_locations())):
        answer = api.post(f"/api/v1/import/{kind}?format=json", json=msgspec.to_builtins(rows))
        assert answer.status_code == 200, answer.text
    seed_demo(api.db, api.settings, log=lambda _: None)

    assert bills() == before
