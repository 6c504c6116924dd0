"""The demo's last month (server/demo_history.py): seeded through the floor's services
with last month's times, before today's records, once however often the demo is seeded,
and billed like a real month."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server import clock
from server.config import site_today
from server.demo import seed_demo
from tests.conftest import Api
from tests.sync.test_contract import settings  # noqa: F401  (a pack bench and a dock door)

COUNTS = (
    "SELECT (SELECT COUNT(*) FROM commands), (SELECT COUNT(*) FROM movements), "
    "(SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM audit), "
    "(SELECT COUNT(*) FROM print_jobs), (SELECT COUNT(*) FROM billing_services)"
)


def _read(api: Api, sql: str, *args: Any) -> list[Any]:
    return api.db.read(lambda c: [tuple(r) for r in c.execute(sql, args)])


def test_the_demo_seeds_last_month_before_today_once_and_bills_it_like_a_month(api: Api) -> None:
    seed_demo(api.db, api.settings, log=lambda _: None)
    first = _read(api, COUNTS)
    seed_demo(api.db, api.settings, log=lambda _: None)
    assert _read(api, COUNTS) == first  # seeding again changes nothing

    today = site_today(api.settings)
    month = f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"
    # Last month's facts carry last month's times, and the ledger's rowids follow time.
    times = [at for (at,) in _read(api, "SELECT at FROM movements ORDER BY id")]
    assert times == sorted(times)
    kinds = dict(
        _read(
            api,
            "SELECT kind, COUNT(*) FROM movements WHERE at < ? GROUP BY kind",
            f"{today.replace(day=1):%Y-%m-%d}",
        )
    )
    assert kinds.keys() == {"receive", "putaway", "pick", "pack", "ship"}
    assert kinds["receive"] == kinds["putaway"] == 150  # every demo stock line, last month
    shipped = _read(
        api, "SELECT COUNT(*) FROM orders WHERE state = 'shipped' AND order_no LIKE ?", "SO%"
    )
    assert shipped == [(18,)]
    # Last month's labels and slips were printed last month: a server started on the demo
    # prints none of them again; today's demo queues none either.
    first_of_month = f"{today.replace(day=1):%Y-%m-%d}"
    old_jobs = _read(
        api,
        "SELECT kind, status, COUNT(*) FROM print_jobs WHERE created_at < ? GROUP BY 1, 2",
        first_of_month,
    )
    assert ("face_sheet", "done", 18) in old_jobs
    assert {status for _kind, status, _n in old_jobs} == {"done"}
    # Today's demo as before: its 36 orders to ship and the stock they need.
    assert _read(api, "SELECT COUNT(*) FROM orders WHERE state = 'new'") == [(36,)]

    for customer in ("HKBEAUTY", "AUNUTRI", "JPHOME"):
        answer = api.get("/api/v1/billing/preview", params={"period": month, "customer": customer})
        assert answer.status_code == 200, answer.text
        statement = answer.json()
        codes = {x["charge_code"] for x in statement["lines"]}
        assert {
            "storage.location_day.storage",
            "inbound.unit",
            "putaway.unit",
            "outbound.order",
            "outbound.line",
            "outbound.unit",
            "outbound.face_sheet",
        } <= codes, (customer, codes)
        assert any(c.startswith("service.") for c in codes)
        assert "minimum.topup" not in codes  # a real month's bill is above the minimum
        assert statement["total_fen"] == sum(x["amount_fen"] for x in statement["lines"])


def test_seeding_the_demo_again_a_month_later_writes_nothing_into_the_month_that_has_passed(
    api: Api,
) -> None:
    """`make run` on the same file next month: the month now called "last month" is this
    one, which has happened (and may be billed and closed): no history is written into it,
    only the new day's plans and orders."""
    seed_demo(api.db, api.settings, log=lambda _: None)
    today = site_today(api.settings)
    this_month = f"{today:%Y-%m}"
    in_this_month = (
        "SELECT COUNT(*) FROM movements WHERE substr(at, 1, 7) >= ? "
        "UNION ALL SELECT COUNT(*) FROM billing_services WHERE substr(done_at, 1, 7) >= ?"
    )
    before = _read(api, in_this_month, this_month, this_month)
    said: list[str] = []

    with clock.use(clock.ManualClock(clock.now() + timedelta(days=35))):
        seed_demo(api.db, api.settings, log=said.append)

    assert _read(api, in_this_month, this_month, this_month) == before
    assert "when this file was first seeded" in said[-1]
