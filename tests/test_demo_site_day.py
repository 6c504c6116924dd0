"""The demo's arrivals are expected on the site's day, so the receiving page lists them
at any hour (Shanghai's day starts at 16:00 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.config import Settings, site_today
from server.demo import _seed_plans


def test_demo_arrivals_are_expected_on_the_site_day() -> None:
    settings = Settings()
    # A zone whose day differs from UTC's right now: UTC+14 from 10:00 UTC, else UTC-11.
    ahead = datetime.now(UTC).hour >= 10
    settings.site.timezone = "Pacific/Kiritimati" if ahead else "Pacific/Pago_Pago"
    assert site_today(settings) != datetime.now(UTC).date()
    plans: list[Any] = []

    def run(action: str, key: str, target: str, apply: Any) -> None:
        plans.append(apply.__defaults__[0])  # the plan bound to the command

    _seed_plans(run, settings)
    assert plans and {p.expected_arrival[:10] for p in plans} == {site_today(settings).isoformat()}
