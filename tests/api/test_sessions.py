"""Sessions end with the PIN, the role or the user; they idle out, are capped per user,
and a user sees and ends their own (never their tokens)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.clock import ManualClock
from tests.conftest import PIN, Api, add_user


def log_in(api: Api, code: str, device: str = "hh-01") -> str:
    answer = api.client.post(
        "/api/v1/auth/login", json={"user_code": code, "pin": PIN}, headers={"X-Device": device}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def me(api: Api, token: str) -> Any:
    return api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_a_pin_reset_ends_the_users_sessions(api: Api) -> None:
    add_user(api.db, api.settings, "pk1", ["picker"])
    token = log_in(api, "pk1")
    assert me(api, token).status_code == 200
    assert api.post("/api/v1/users/pk1/reset-pin", json={"pin": "8642"}).status_code == 200
    assert me(api, token).status_code == 401


def test_a_role_change_ends_the_users_sessions(api: Api) -> None:
    add_user(api.db, api.settings, "pk2", ["picker"])
    token = log_in(api, "pk2")
    changed = api.post("/api/v1/users/pk2/roles", role="admin", json={"roles": ["packer"]})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"code": "pk2", "roles": ["packer"]}
    assert me(api, token).status_code == 401
    assert me(api, log_in(api, "pk2")).json()["roles"] == ["packer"]
    refused = api.post("/api/v1/users/pk2/roles", role="supervisor", json={"roles": ["admin"]})
    assert refused.status_code == 403


def test_an_idle_session_ends(api: Api, site_clock: ManualClock) -> None:
    add_user(api.db, api.settings, "pk3", ["picker"])
    token = log_in(api, "pk3")
    site_clock.advance(minutes=api.settings.auth.session_idle_minutes + 1)
    answer = me(api, token)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "SESSION_EXPIRED"
    assert answer.json()["error"]["details"] == {"reason": "idle"}
    fresh = log_in(api, "pk3", "hh-02")
    listed = api.client.get("/api/v1/auth/sessions", headers={"Authorization": f"Bearer {fresh}"})
    assert [s["device"] for s in listed.json()] == ["hh-02"]  # the idle one is not open


def test_a_used_session_notes_its_last_use(api: Api, site_clock: ManualClock) -> None:
    add_user(api.db, api.settings, "pk4", ["picker"])
    token = log_in(api, "pk4")
    earlier = api.db.read(lambda conn: conn.execute("SELECT last_used_at FROM sessions").fetchone())
    site_clock.advance(minutes=5)
    assert me(api, token).status_code == 200
    last = api.db.read(lambda conn: conn.execute("SELECT last_used_at FROM sessions").fetchone())
    assert datetime.fromisoformat(last[0]) - datetime.fromisoformat(earlier[0]) >= timedelta(
        minutes=5
    )


def test_a_user_has_at_most_the_cap_of_sessions_and_the_oldest_ends(api: Api) -> None:
    api.settings.auth.max_sessions_per_user = 2
    add_user(api.db, api.settings, "pk5", ["picker"])
    first, second, third = (log_in(api, "pk5", f"hh-{n}") for n in range(3))
    assert me(api, first).status_code == 401
    assert me(api, second).status_code == 200 and me(api, third).status_code == 200


def test_a_user_lists_and_ends_their_own_sessions_without_seeing_tokens(api: Api) -> None:
    add_user(api.db, api.settings, "pk6", ["picker"])
    add_user(api.db, api.settings, "pk7", ["picker"])
    old = log_in(api, "pk6", "hh-left-behind")
    token = log_in(api, "pk6", "hh-in-hand")
    others = log_in(api, "pk7", "hh-other")
    mine = {"Authorization": f"Bearer {token}"}
    listed = api.client.get("/api/v1/auth/sessions", headers=mine)
    assert listed.status_code == 200, listed.text
    sessions = listed.json()
    assert [(s["device"], s["current"]) for s in sessions] == [
        ("hh-in-hand", True),
        ("hh-left-behind", False),
    ]
    assert set(sessions[0]) == {
        "id",
        "device",
        "address",
        "created_at",
        "last_used_at",
        "expires_at",
        "current",
    }
    assert old not in listed.text and token not in listed.text
    left = sessions[1]["id"]
    ended = api.client.post(
        f"/api/v1/auth/sessions/{left}/end", headers={**mine, "Idempotency-Key": "end-1"}
    )
    assert ended.status_code == 200, ended.text
    assert me(api, old).status_code == 401 and me(api, token).status_code == 200
    # Someone else's session is not yours to end (nor to learn that it exists).
    theirs = api.client.get(
        "/api/v1/auth/sessions", headers={"Authorization": f"Bearer {others}"}
    ).json()[0]["id"]
    refused = api.client.post(
        f"/api/v1/auth/sessions/{theirs}/end", headers={**mine, "Idempotency-Key": "end-2"}
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "SESSION_NOT_FOUND")
    assert me(api, others).status_code == 200


def test_the_sessions_worker_ends_idle_sessions(api: Api) -> None:
    from server.workers import end_expired_sessions

    add_user(api.db, api.settings, "pk8", ["picker"])
    idle, fresh = log_in(api, "pk8", "hh-idle"), log_in(api, "pk8", "hh-fresh")
    earlier = (datetime.now(UTC) - timedelta(minutes=61)).isoformat()
    api.db._write(
        lambda conn: conn.execute(
            "UPDATE sessions SET last_used_at = ? WHERE device = 'hh-idle'", (earlier,)
        )
    )
    assert end_expired_sessions(api.db, idle_minutes=60) == 1
    ended = api.db.read(
        lambda conn: conn.execute(
            "SELECT device FROM sessions WHERE ended_at IS NOT NULL"
        ).fetchall()
    )
    assert [r[0] for r in ended] == ["hh-idle"]
    assert me(api, fresh).status_code == 200 and me(api, idle).status_code == 401
