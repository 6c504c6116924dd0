"""A typed quantity above `[scan] max_quantity_per_scan` is refused by every route that takes
one (move, count, pick; receiving in tests/api/test_inbound.py) unless the request says the
person confirmed it, and a refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from server.config import Settings
from tests.conftest import Api, table_counts
from tests.outbound.helpers import (
    SOAP,
    next_task,
    outbound_settings,
    put_stock,
    released_order,
    seed_outbound,
    wave,
)

LIMIT = 999


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return outbound_settings(tmp_path)


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 1500)
    for role in ("putaway", "counter", "picker"):
        api.token(role)  # logged in before a test counts rows: a login is a command too
    return api


def refused_above_limit(api: Api, answer: Any, quantity: int) -> None:
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "QUANTITY_ABOVE_SCAN_MAX"
    assert error["details"] == {"quantity": quantity, "maximum": LIMIT}


def test_the_handheld_is_told_the_per_scan_maximum(api: Api) -> None:
    assert api.get("/api/v1/client-config").json()["scan"]["max_quantity_per_scan"] == LIMIT


def test_a_move_above_the_per_scan_maximum_needs_confirming(site: Api) -> None:
    body = {"from_location": "A-1", "to_location": "A-2", "item": SOAP, "quantity": 1200}
    before = table_counts(site.db)
    refused_above_limit(site, site.post("/api/v1/moves", role="putaway", json=body), 1200)
    assert table_counts(site.db) == before
    at_limit = site.post("/api/v1/moves", role="putaway", json={**body, "quantity": LIMIT})
    assert at_limit.status_code == 200, at_limit.text
    confirmed = {**body, "quantity": 501, "confirmed_large": True}
    assert site.post("/api/v1/moves", role="putaway", json=confirmed).status_code == 200


def test_a_count_above_the_per_scan_maximum_needs_confirming(site: Api) -> None:
    task = site.post("/api/v1/counts/start", role="counter", json={"location": "A-1"}).json()
    line = f"/api/v1/counts/{task['id']}/lines"
    before = table_counts(site.db)
    answer = site.post(line, role="counter", json={"item": SOAP, "quantity": 1500})
    refused_above_limit(site, answer, 1500)
    assert table_counts(site.db) == before
    confirmed = {"item": SOAP, "quantity": 1500, "confirmed_large": True}
    assert site.post(line, role="counter", json=confirmed).status_code == 200


def test_a_pick_above_the_per_scan_maximum_needs_confirming(site: Api) -> None:
    order = released_order(site, [{"sku": "S1", "quantity": 1200}])
    built = wave(site, order_nos=[order["order_no"]])
    task = next_task(site, built["id"])
    assert task is not None and task["remaining"] == 1200
    body = {"location": "A-1", "item": SOAP, "quantity": 1200, "tote": "T-1"}
    path = f"/api/v1/pick-tasks/{task['id']}/confirm"
    before = table_counts(site.db)
    refused_above_limit(site, site.post(path, role="picker", json=body), 1200)
    assert table_counts(site.db) == before
    confirmed = site.post(path, role="picker", json={**body, "confirmed_large": True})
    assert confirmed.status_code == 200, confirmed.text
