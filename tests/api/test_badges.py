"""A badge is a credential: stored hashed, never shown, and not enough alone for a manager."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest

from server.demo import DEMO_USERS
from tests.conftest import PIN, Api, add_user


def login(api: Api, **body: str) -> Any:
    return api.client.post("/api/v1/auth/login", json=body, headers={"X-Device": "hh-01"})


def test_badges_are_stored_hashed_and_never_listed(api: Api) -> None:
    add_user(api.db, api.settings, "pk1", ["picker"], badge="BADGE-SECRET-0042")
    dump = "\n".join(api.db.read(lambda conn: list(conn.iterdump())))
    assert "BADGE-SECRET-0042" not in dump
    users = api.get("/api/v1/users", role="admin")
    assert "BADGE-SECRET" not in users.text
    assert next(u for u in users.json() if u["code"] == "pk1")["has_badge"] is True
    assert login(api, badge="BADGE-SECRET-0042").status_code == 201
    taken = api.post(
        "/api/v1/users",
        role="admin",
        json={
            "code": "pk2",
            "name": "P",
            "roles": ["picker"],
            "pin": PIN,
            "badge": "BADGE-SECRET-0042",
        },
    )
    assert taken.json()["error"]["code"] == "BADGE_IN_USE"


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_a_managers_badge_logs_in_only_with_the_pin(api: Api, role: str) -> None:
    add_user(api.db, api.settings, "boss", [role], badge="BADGE-BOSS-0001")
    alone = login(api, badge="BADGE-BOSS-0001")
    assert alone.status_code == 401
    assert alone.json()["error"]["code"] == "BADGE_NEEDS_PIN"
    assert "token" not in alone.text
    wrong = login(api, badge="BADGE-BOSS-0001", pin="0000")
    assert wrong.json()["error"]["code"] == "BADGE_PIN_WRONG"
    both = login(api, badge="BADGE-BOSS-0001", pin=PIN)
    assert both.status_code == 201
    assert both.json()["user"]["code"] == "boss"


def test_which_roles_need_the_pin_with_their_badge_is_a_setting(api: Api) -> None:
    api.settings.auth.badge_pin_roles = ["picker"]
    add_user(api.db, api.settings, "sup1", ["supervisor"], badge="BADGE-SUP-0001")
    add_user(api.db, api.settings, "pk3", ["picker"], badge="BADGE-PK-0003")
    assert login(api, badge="BADGE-SUP-0001").status_code == 201
    assert login(api, badge="BADGE-PK-0003").json()["error"]["code"] == "BADGE_NEEDS_PIN"


def test_the_login_audit_shows_only_the_end_of_a_badge(api: Api) -> None:
    login(api, badge="BADGE-UNKNOWN-7788")
    targets = api.db.read(
        lambda conn: [r[0] for r in conn.execute("SELECT target FROM audit WHERE action = 'login'")]
    )
    assert targets == ["badge:****88"]


def test_demo_badges_are_not_a_sequence() -> None:
    badges = [u.badge for u in DEMO_USERS]
    assert len(set(badges)) == len(badges)
    for a, b in combinations(badges, 2):
        # Knowing one badge tells nothing of another: they differ almost everywhere.
        same = sum(x == y for x, y in zip(a, b, strict=False))
        assert same <= len("BF-") + 3, (a, b)
