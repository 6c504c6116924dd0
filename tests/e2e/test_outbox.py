"""The handheld's outbox: a change made while the Wi-Fi is gone is kept on the device and
sent later with the same idempotency key, so it is neither lost nor counted twice."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

MOVEMENTS = "**/api/v1/ledger/movements"

pytestmark = pytest.mark.e2e


def receive_body(demo_db: sqlite3.Connection, document: str) -> dict[str, Any]:
    """One unit found on a staging location, of an SKU that is not lot-tracked."""
    row = demo_db.execute(
        "SELECT c.code AS customer, s.code AS sku FROM skus s "
        "JOIN customers c ON c.id = s.customer_id WHERE s.lot_tracked = 0 LIMIT 1"
    ).fetchone()
    return {
        "kind": "receive",
        "reason": "found",
        "customer": row["customer"],
        "sku": row["sku"],
        "quantity": 1,
        "to_location": "STG-02",
        "document": document,
    }


def recorded(demo_db: sqlite3.Connection, document: str) -> int:
    return int(
        demo_db.execute(
            "SELECT COUNT(*) FROM movements WHERE document = ?", (document,)
        ).fetchone()[0]
    )


def submit(page: Page, body: dict[str, Any]) -> Any:
    return page.evaluate(
        """async (body) => {
            const outbox = await import('/js/outbox.js');
            try { return await outbox.submit('/api/v1/ledger/movements', body); }
            catch (err) { return { refused: err.code }; }
        }""",
        body,
    )


def queued(page: Page) -> list[dict[str, Any]]:
    return json.loads(page.evaluate("localStorage.getItem('bondfloor.outbox') || '[]'"))


def open_home_as_supervisor(page: Page, logged_in_as: Callable[[str], None]) -> None:
    logged_in_as("sup01")
    page.goto("/home.html")
    expect(page.locator("#menu .tile").first).to_be_visible()


def test_changes_made_offline_wait_on_the_device_and_are_sent_once_back_online(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    open_home_as_supervisor(page, logged_in_as)
    document = f"E2E-{uuid.uuid4().hex[:8]}"
    page.route(MOVEMENTS, lambda route: route.abort("internetdisconnected"))

    answers = [submit(page, receive_body(demo_db, document)) for _ in range(3)]
    assert answers == [{"queued": True}] * 3
    expect(page.locator("#outbox")).to_have_text("待上传 3")
    assert recorded(demo_db, document) == 0

    page.reload()  # still offline: the queue outlives the page
    expect(page.locator("#outbox")).to_have_text("待上传 3")
    keys = [entry["key"] for entry in queued(page)]
    assert len(set(keys)) == 3

    page.unroute(MOVEMENTS)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#outbox")).to_be_hidden()
    assert queued(page) == []
    assert recorded(demo_db, document) == 3
    stored_keys = {
        r[0]
        for r in demo_db.execute(
            "SELECT command_key FROM movements WHERE document = ?", (document,)
        )
    }
    assert stored_keys == set(keys)


def test_an_answer_lost_on_the_way_back_is_replayed_and_counted_once(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    open_home_as_supervisor(page, logged_in_as)
    document = f"E2E-{uuid.uuid4().hex[:8]}"
    sent_keys: list[str] = []

    def lose_first_answer(route: Route) -> None:
        sent_keys.append(route.request.headers["idempotency-key"])
        if len(sent_keys) == 1:
            route.fetch()  # the server does the work...
            route.abort("connectionreset")  # ...but the handheld never hears back
        else:
            route.continue_()

    page.route(MOVEMENTS, lose_first_answer)
    assert submit(page, receive_body(demo_db, document)) == {"queued": True}
    expect(page.locator("#outbox")).to_be_hidden(timeout=10_000)  # retried after a second
    assert len(sent_keys) == 2 and sent_keys[0] == sent_keys[1]
    assert recorded(demo_db, document) == 1


def test_a_refusal_is_reported_and_not_retried(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    open_home_as_supervisor(page, logged_in_as)
    body = receive_body(demo_db, "E2E-REFUSED") | {"kind": "adjust", "from_location": "STG-03"}
    del body["to_location"]
    assert submit(page, body) == {"refused": "INSUFFICIENT_STOCK"}
    assert queued(page) == []
    expect(page.locator("#outbox")).to_be_hidden()  # the page that asked tells the user

    # Made offline, refused once back online while no page waits for it: kept and shown.
    page.route(MOVEMENTS, lambda route: route.abort("internetdisconnected"))
    assert submit(page, body) == {"queued": True}
    page.reload()
    page.unroute(MOVEMENTS)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#outbox")).to_have_text("被拒 1")
    assert queued(page) == []
    refused = json.loads(page.evaluate("localStorage.getItem('bondfloor.outbox.refused')"))
    assert [r["error"]["code"] for r in refused] == ["INSUFFICIENT_STOCK"]

    # A tap on the badge says what was refused; once seen, the user clears it.
    page.locator("#outbox").click()
    panel = page.locator("#outbox-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".outbox-refusals li")).to_have_count(1)
    expect(panel).to_contain_text("库存不足")
    page.locator("#outbox-clear").click()
    expect(panel).to_be_hidden()
    expect(page.locator("#outbox")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('bondfloor.outbox.refused')") == "[]"


def test_logging_out_with_changes_queued_asks_first(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    open_home_as_supervisor(page, logged_in_as)
    page.route(MOVEMENTS, lambda route: route.abort("internetdisconnected"))
    assert submit(page, receive_body(demo_db, "E2E-LOGOUT")) == {"queued": True}
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/home\.html$"))  # stayed: the user said no
    assert questions and "1" in questions[0]
    assert len(queued(page)) == 1


def test_queued_changes_wait_for_the_user_who_made_them(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    open_home_as_supervisor(page, logged_in_as)
    document = f"E2E-{uuid.uuid4().hex[:8]}"
    foreign = {
        "key": "other-user-1",
        "path": "/api/v1/ledger/movements",
        "user": "admin",
        "body": receive_body(demo_db, document),
        "queuedAt": "2026-01-01T00:00:00Z",
    }
    page.evaluate(
        "(entry) => localStorage.setItem('bondfloor.outbox', JSON.stringify([entry]))", foreign
    )
    page.reload()
    expect(page.locator("#outbox")).to_have_text("待上传 1")
    page.evaluate("async () => (await import('/js/outbox.js')).flush()")
    assert recorded(demo_db, document) == 0  # never sent in sup01's name
    assert [e["key"] for e in queued(page)] == ["other-user-1"]
