"""Customs replies against the server clock, and the "to inspection" task following the
status in force: a reply dated in the future is refused (audited, shown to supervisors),
and whether an inspection task is open depends only on the final status, never on the
order in which the replies arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.alerts.service import check_alerts
from server.outbound.orders import customs_time_ahead
from server.outbound.schemas import CustomsStatusIn
from tests.conftest import Api, table_counts
from tests.outbound.helpers import SOAP, customs, pack, picked_order, put_stock

FUTURE_CODE = "CUSTOMS_TIME_IN_FUTURE"


@pytest.fixture
def site(site: Api) -> Api:
    put_stock(site, "A-1", "S1", 10_000)
    return site


def counts(api: Api) -> dict[str, int]:
    """Rows of the tables a customs reply writes, and of the audit log."""
    extra = ("customs_statuses", "order_tasks", "audit")
    return {
        **table_counts(api.db),
        **api.db.read(
            lambda conn: {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in extra}
        ),
    }


def reply(api: Api, order_no: str, code: int, at: datetime) -> Any:
    return customs(api, order_no, code, at)


def order_view(api: Api, order_id: int) -> dict[str, Any]:
    answer = api.get(f"/api/v1/orders/{order_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def open_inspection_tasks(api: Api, order_id: int) -> int:
    return sum(
        1
        for t in order_view(api, order_id)["tasks"]
        if t["kind"] == "to_inspection" and t["status"] == "open"
    )


def packed_order(api: Api, tote: str) -> dict[str, Any]:
    order = picked_order(api, [{"sku": "S1", "quantity": 1}], tote=tote)
    answer = pack(api, order["id"], [SOAP])
    assert answer.status_code == 200, answer.text
    return order


# -- 1. customs time ahead of the server clock -------------------------------------------


def test_a_reply_dated_a_year_ahead_is_refused_and_a_real_hold_still_applies(site: Api) -> None:
    order = packed_order(site, "T-1")
    now = datetime.now(UTC)
    before = counts(site)
    future = reply(site, order["order_no"], 800, now + timedelta(days=365))
    assert future.status_code == 422, future.text
    error = future.json()["error"]
    assert error["code"] == FUTURE_CODE
    assert error["details"]["order_no"] == order["order_no"]
    assert error["details"]["max_ahead_seconds"] == 300
    # Nothing stored but the audit line of the refusal.
    after = counts(site)
    assert {t: n for t, n in after.items() if n != before[t]} == {"audit": before["audit"] + 1}
    hold = reply(site, order["order_no"], 500, now)
    assert hold.status_code == 200, hold.text
    assert hold.json()["applied"] is True
    assert hold.json()["blocked"] == "ORDER_INSPECTION"
    assert open_inspection_tasks(site, order["id"]) == 1


def test_a_future_status_taken_before_the_rule_gives_way_to_a_real_reply(site: Api) -> None:
    order = packed_order(site, "T-1")
    ahead = (datetime.now(UTC) + timedelta(days=365)).isoformat(timespec="milliseconds")
    site.db._write(  # as an older version stored it
        lambda conn: conn.execute(
            "UPDATE orders SET customs_status = 800, customs_at = ? WHERE id = ?",
            (ahead, order["id"]),
        )
    )
    hold = reply(site, order["order_no"], 500, datetime.now(UTC))
    assert hold.status_code == 200, hold.text
    assert (hold.json()["applied"], hold.json()["customs_status"]) == (True, 500)
    assert open_inspection_tasks(site, order["id"]) == 1


def test_a_reply_within_the_allowed_clock_difference_is_taken(site: Api) -> None:
    order = packed_order(site, "T-1")
    answer = reply(site, order["order_no"], 500, datetime.now(UTC) + timedelta(seconds=200))
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] is True


def test_the_limit_is_measured_from_the_command_clock() -> None:
    status = CustomsStatusIn(
        order_no="SO1", code=800, status_at=datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
    )
    assert customs_time_ahead(status, "2026-01-01T00:05:00.000+00:00", 300) == 0
    assert customs_time_ahead(status, "2026-01-01T00:04:59.000+00:00", 300) == 1
    assert customs_time_ahead(status, "2026-01-01T00:00:00.000+00:00", 0) == 600
    far = CustomsStatusIn(order_no="SO1", code=800, status_at=datetime.max.replace(tzinfo=UTC))
    assert customs_time_ahead(far, "2026-01-01T00:00:00.000+00:00", 300) > 0


def test_a_batch_with_a_future_reply_is_refused_whole_listing_every_problem(site: Api) -> None:
    first = packed_order(site, "T-1")
    second = packed_order(site, "T-2")
    now = datetime.now(UTC)
    before = counts(site)
    body = {
        "statuses": [
            {"order_no": first["order_no"], "code": 500, "status_at": now.isoformat()},
            {
                "order_no": second["order_no"],
                "code": 800,
                "status_at": (now + timedelta(days=365)).isoformat(),
            },
            {"order_no": "NO-SUCH", "code": 800, "status_at": now.isoformat()},
            {
                "order_no": first["order_no"],
                "code": 800,
                "status_at": (now + timedelta(hours=8)).isoformat(),
            },
        ]
    }
    answer = site.post("/api/v1/customs-statuses/batch", role="oms", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "BATCH_REJECTED"
    assert [(p["line"], p["field"], p.get("code")) for p in error["details"]["problems"]] == [
        (2, "status_at", FUTURE_CODE),
        (3, "order_no", None),
        (4, "status_at", FUTURE_CODE),
    ]
    after = counts(site)
    assert {t: n for t, n in after.items() if n != before[t]} == {"audit": before["audit"] + 1}
    assert order_view(site, first["id"])["customs_status"] == 800  # the release before


def test_a_refused_future_reply_is_audited_and_raises_a_supervisor_alert(site: Api) -> None:
    order = packed_order(site, "T-1")
    now = datetime.now(UTC)
    assert reply(site, order["order_no"], 800, now + timedelta(days=365)).status_code == 422
    audit = site.db.read(
        lambda conn: conn.execute(
            "SELECT actor, target, outcome, details FROM audit WHERE code = ?", (FUTURE_CODE,)
        ).fetchall()
    )
    assert [(r["target"], r["outcome"]) for r in audit] == [
        (f"order:{order['order_no']}", "refused")
    ]
    refusal = msgspec.json.decode(audit[0]["details"])["refusal"]
    assert refusal["order_no"] == order["order_no"]
    check_alerts(site.db, site.settings, now + timedelta(seconds=1))
    alerts = [a for a in site.get("/api/v1/alerts").json() if a["kind"] == FUTURE_CODE]
    assert [(a["subject"], a["severity"], a["details"]["count"]) for a in alerts] == [
        (audit[0]["actor"], "critical", 1)
    ]
    board = site.get("/api/v1/dashboard").json()
    assert FUTURE_CODE in {a["kind"] for a in board["alerts"]}
    # Gone from the window, the alert clears.
    check_alerts(site.db, site.settings, now + timedelta(hours=1))
    assert FUTURE_CODE not in {a["kind"] for a in site.get("/api/v1/alerts").json()}


def test_a_batch_refused_for_a_future_reply_raises_the_alert_too(site: Api) -> None:
    order = packed_order(site, "T-1")
    now = datetime.now(UTC)
    body = {
        "statuses": [
            {
                "order_no": order["order_no"],
                "code": 800,
                "status_at": (now + timedelta(days=1)).isoformat(),
            }
        ]
    }
    assert site.post("/api/v1/customs-statuses/batch", role="oms", json=body).status_code == 400
    audit = site.db.read(
        lambda conn: conn.execute(
            "SELECT target FROM audit WHERE code = 'BATCH_REJECTED' AND outcome = 'refused'"
        ).fetchall()
    )
    assert [r[0] for r in audit] == ["customs-batch:1"]
    check_alerts(site.db, site.settings, now + timedelta(seconds=1))
    alert = next(a for a in site.get("/api/v1/alerts").json() if a["kind"] == FUTURE_CODE)
    assert "customs-batch:1" in alert["message"]


# -- 2. the inspection task follows the final status -------------------------------------

BASE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_inspection_task_follows_the_final_status_whatever_the_arrival_order(
    site: Api,
) -> None:
    """500@10:01, 800@10:02, −1@10:03 — arriving as 500, −1, 800 left an open task."""
    replies = [(500, 1), (800, 2), (-1, 3)]
    for n, arrival in enumerate([[0, 1, 2], [0, 2, 1], [1, 0, 2], [2, 0, 1]]):
        order = picked_order(site, [{"sku": "S1", "quantity": 1}], tote=f"T-{n + 1}")
        for i in arrival:
            code, minute = replies[i]
            answer = reply(site, order["order_no"], code, BASE + timedelta(minutes=minute))
            assert answer.status_code == 200, answer.text
        view = order_view(site, order["id"])
        assert view["customs_status"] == -1
        assert open_inspection_tasks(site, order["id"]) == 0, arrival


def test_a_task_done_stays_done_and_goods_at_the_lane_are_not_sent_again(site: Api) -> None:
    order = packed_order(site, "T-1")
    assert reply(site, order["order_no"], 500, BASE).status_code == 200
    task = next(t for t in order_view(site, order["id"])["tasks"] if t["status"] == "open")
    done = site.post(f"/api/v1/order-tasks/{task['id']}/complete", json={"location": "INSP-01"})
    assert done.status_code == 200, done.text
    assert reply(site, order["order_no"], 800, BASE + timedelta(minutes=1)).status_code == 200
    assert reply(site, order["order_no"], 500, BASE + timedelta(minutes=2)).status_code == 200
    tasks = order_view(site, order["id"])["tasks"]
    assert [(t["kind"], t["status"], t["outcome"]) for t in tasks] == [
        ("to_inspection", "done", "moved")
    ]


REPLY_CODES = [500, 800, -1, 120, 501]


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(REPLY_CODES), st.integers(1, 600)),
        min_size=1,
        max_size=5,
        unique_by=lambda r: r[1],
    ).flatmap(lambda replies: st.tuples(st.just(replies), st.permutations(replies)))
)
@example(([(500, 1), (800, 2), (-1, 3)], [(500, 1), (-1, 3), (800, 2)]))  # the one found
def test_any_arrival_order_ends_in_the_task_state_of_the_time_order(
    site: Api, case: tuple[list[tuple[int, int]], list[tuple[int, int]]]
) -> None:
    replies, arrival = case
    in_time_order = sorted(replies, key=lambda r: r[1])

    def end_state(sequence: list[tuple[int, int]]) -> list[tuple[Any, int]]:
        orders = [
            picked_order(site, [{"sku": "S1", "quantity": 1}], tote=new_tote(site)),
            packed_order(site, new_tote(site)),
        ]
        for order in orders:
            for code, minute in sequence:
                answer = reply(site, order["order_no"], code, BASE + timedelta(minutes=minute))
                assert answer.status_code == 200, answer.text
        return [
            (order_view(site, o["id"])["customs_status"], open_inspection_tasks(site, o["id"]))
            for o in orders
        ]

    expected = end_state(in_time_order)
    assert end_state(arrival) == expected
    final_is_inspection = in_time_order[-1][0] == 500
    assert expected == [(in_time_order[-1][0], int(final_is_inspection))] * 2


_totes = iter(range(100, 100_000))


def new_tote(api: Api) -> str:
    code = f"T-{next(_totes)}"
    answer = api.post(
        "/api/v1/locations", json={"code": code, "zone": "T", "type": "tote", "pick_sequence": 0}
    )
    assert answer.status_code == 200, answer.text
    return code
