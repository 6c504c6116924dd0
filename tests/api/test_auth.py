"""Login by PIN or badge, lockout, expiry, logout; secrets hashed at rest; everything audited.

Throttling, the lock's expiry and unlocking: test_login_throttling.py; sessions a user
sees and ends: test_sessions.py."""

from __future__ import annotations

from typing import Any

from server.clock import ManualClock
from server.config import AuthSettings
from tests.conftest import PIN, Api, add_user


def login(api: Api, **body: str) -> object:
    return api.client.post("/api/v1/auth/login", json=body, headers={"X-Device": "hh-01"})


def test_login_with_pin_opens_a_session(api: Api) -> None:
    add_user(api.db, api.settings, "rx1", ["receiver"])
    answer = login(api, user_code="rx1", pin=PIN)
    assert answer.status_code == 201  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["user"] == {
        "code": "rx1",
        "name": "rx1 name",
        "roles": ["receiver"],
        "language": "",
    }
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["code"] == "rx1" and me.json()["roles"] == ["receiver"]


def test_login_with_a_badge_scan(api: Api) -> None:
    add_user(api.db, api.settings, "pk1", ["picker"], badge="BADGE-0042")
    answer = login(api, badge="BADGE-0042")
    assert answer.status_code == 201  # type: ignore[attr-defined]
    assert answer.json()["user"]["code"] == "pk1"  # type: ignore[attr-defined]
    assert login(api, badge="BADGE-9999").json()["error"]["code"] == "BADGE_UNKNOWN"  # type: ignore[attr-defined]


def test_wrong_pin_is_refused_counted_and_locks_after_the_limit(api: Api) -> None:
    add_user(api.db, api.settings, "rx2", ["receiver"])
    api.settings.auth.login_free_failures = 100  # no delays: this is about the lock
    limit = AuthSettings().max_failed_logins
    for _ in range(limit):
        answer = login(api, user_code="rx2", pin="0000")
        assert answer.status_code == 401  # type: ignore[attr-defined]
        assert answer.json()["error"]["code"] == "LOGIN_FAILED"  # type: ignore[attr-defined]
    locked = login(api, user_code="rx2", pin=PIN)
    assert locked.json()["error"]["code"] == "USER_LOCKED"  # type: ignore[attr-defined]
    # a supervisor's PIN reset unlocks
    reset = api.post("/api/v1/users/rx2/reset-pin", role="supervisor", json={"pin": "5678"})
    assert reset.status_code == 200, reset.text
    assert login(api, user_code="rx2", pin="5678").status_code == 201  # type: ignore[attr-defined]


def test_unknown_user_and_wrong_pin_look_the_same(api: Api) -> None:
    add_user(api.db, api.settings, "rx3", ["receiver"])
    a = login(api, user_code="rx3", pin="0000").json()  # type: ignore[attr-defined]
    b = login(api, user_code="ghost", pin="0000").json()  # type: ignore[attr-defined]
    assert a == b


def test_login_needs_pin_or_badge(api: Api) -> None:
    answer = login(api, user_code="rx1")
    assert answer.json()["error"]["code"] == "LOGIN_INCOMPLETE"  # type: ignore[attr-defined]


def test_disabled_user_cannot_log_in_and_loses_sessions(api: Api) -> None:
    add_user(api.db, api.settings, "dk1", ["dock"])
    token = login(api, user_code="dk1", pin=PIN).json()["token"]  # type: ignore[attr-defined]
    assert api.post("/api/v1/users/dk1/disable", role="admin").status_code == 200
    assert (
        api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert login(api, user_code="dk1", pin=PIN).json()["error"]["code"] == "USER_DISABLED"  # type: ignore[attr-defined]


def test_sessions_expire(api: Api, site_clock: ManualClock) -> None:
    add_user(api.db, api.settings, "pk2", ["packer"])
    api.settings.auth.session_hours = 1  # (idle sessions end after two hours)
    token = login(api, user_code="pk2", pin=PIN).json()["token"]  # type: ignore[attr-defined]
    site_clock.advance(minutes=59)
    assert me_answer(api, token).status_code == 200
    site_clock.advance(minutes=2)
    answer = me_answer(api, token)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "SESSION_EXPIRED"


def me_answer(api: Api, token: str) -> Any:
    return api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_logout_ends_the_session(api: Api) -> None:
    headers = api.headers("picker")
    assert api.client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_pins_and_tokens_are_hashed_at_rest(api: Api) -> None:
    token = api.token("picker")
    station_token = api.token("station")
    hashes = api.db.read(lambda conn: [r[0] for r in conn.execute("SELECT pin_hash FROM users")])
    assert hashes and all(h.startswith("scrypt$") and PIN not in h for h in hashes)
    dump = "\n".join(api.db.read(lambda conn: list(conn.iterdump())))
    assert token not in dump
    assert station_token not in dump


def test_pin_is_not_in_the_stored_command_fingerprint(api: Api) -> None:
    answer = api.post(
        "/api/v1/users",
        role="admin",
        json={"code": "u9", "name": "U", "roles": ["picker"], "pin": "97531"},
    )
    assert answer.status_code == 201, answer.text
    dump = "\n".join(api.db.read(lambda conn: list(conn.iterdump())))
    assert "97531" not in dump


def test_user_admin_validates_roles_and_pins(api: Api) -> None:
    bad_role = api.post(
        "/api/v1/users",
        role="admin",
        json={"code": "u1", "name": "U", "roles": ["chef"], "pin": "1234"},
    )
    assert bad_role.json()["error"]["code"] == "ROLE_UNKNOWN"
    bad_pin = api.post(
        "/api/v1/users",
        role="admin",
        json={"code": "u1", "name": "U", "roles": ["picker"], "pin": "12a4"},
    )
    assert bad_pin.json()["error"]["code"] == "PIN_INVALID"
    ok = api.post(
        "/api/v1/users",
        role="admin",
        json={"code": "u1", "name": "U", "roles": ["picker"], "pin": "1234"},
    )
    assert ok.status_code == 201
    again = api.post(
        "/api/v1/users",
        role="admin",
        json={"code": "u1", "name": "U", "roles": ["picker"], "pin": "1234"},
    )
    assert again.json()["error"]["code"] == "USER_EXISTS"


def test_station_and_oms_tokens_authenticate_with_their_role(api: Api) -> None:
    me = api.get("/api/v1/auth/me", role="station").json()
    assert (me["kind"], me["roles"]) == ("station", ["station"])
    assert api.get("/api/v1/events", role="oms").status_code == 200


def test_logins_and_changes_are_audited(api: Api) -> None:
    add_user(api.db, api.settings, "rx4", ["receiver"])
    login(api, user_code="rx4", pin="0000")
    login(api, user_code="rx4", pin=PIN)
    api.post("/api/v1/customers", json={"code": "C1", "name": "One"})
    audit = api.get("/api/v1/audit", params={"limit": 50}).json()
    lines = [(a["action"], a["outcome"], a["actor"]) for a in audit]
    assert ("login", "denied", "user:rx4") in lines
    assert ("login", "ok", "user:rx4") in lines
    assert ("customer.upsert", "ok", "user:supervisor01") in lines
    denied = next(a for a in audit if a["action"] == "login" and a["outcome"] == "denied")
    assert denied["device"] == "hh-01" and denied["code"] == "LOGIN_FAILED"


def test_the_slow_pin_check_runs_outside_the_write_lock(api: Api, monkeypatch: object) -> None:
    from server.auth import service

    add_user(api.db, api.settings, "rx5", ["receiver"])
    real_verify = service.verify_pin
    lock_held: list[bool] = []

    def spying_verify(pin: str, stored: str) -> bool:
        lock_held.append(api.db._write_lock.locked())
        return real_verify(pin, stored)

    monkeypatch.setattr(service, "verify_pin", spying_verify)  # type: ignore[attr-defined]
    assert login(api, user_code="rx5", pin=PIN).status_code == 201  # type: ignore[attr-defined]
    assert login(api, user_code="nobody", pin=PIN).status_code == 401  # type: ignore[attr-defined]
    assert lock_held == [False, False]  # unknown users are hashed too (same timing)


def test_a_pin_reset_during_login_wins(api: Api, monkeypatch: object) -> None:
    from server.auth import service

    add_user(api.db, api.settings, "rx6", ["receiver"])
    real_verify = service.verify_pin

    def reset_meanwhile(pin: str, stored: str) -> bool:
        ok = real_verify(pin, stored)
        api.db._write(
            lambda conn: conn.execute("UPDATE users SET pin_hash = 'changed' WHERE code = 'rx6'")
        )
        return ok

    monkeypatch.setattr(service, "verify_pin", reset_meanwhile)  # type: ignore[attr-defined]
    answer = login(api, user_code="rx6", pin=PIN)
    assert answer.json()["error"]["code"] == "LOGIN_FAILED"  # type: ignore[attr-defined]
