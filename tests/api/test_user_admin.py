"""The admin's work on users and API tokens: every operation is a command (audited,
replayable) and every refusal has its stable code."""

from __future__ import annotations

from typing import Any

import pytest

from server.auth import service
from server.commands import SYSTEM, request_fingerprint, run_command
from server.errors import Conflict
from tests.conftest import PIN, Api, add_user, new_key


def login(api: Api, **body: str) -> Any:
    return api.client.post("/api/v1/auth/login", json=body, headers={"X-Device": "hh-07"})


def user(api: Api, code: str) -> dict[str, Any]:
    users = api.get("/api/v1/users", role="admin").json()
    return next(u for u in users if u["code"] == code)


def audit_actions(api: Api, target: str) -> list[tuple[str, str]]:
    return api.db.read(
        lambda conn: [
            (r["action"], r["outcome"])
            for r in conn.execute("SELECT * FROM audit WHERE target = ? ORDER BY id", (target,))
        ]
    )


def admin_post(api: Api, path: str, body: Any = None, key: str = "auto") -> Any:
    return api.post(path, role="admin", key=key, json=body if body is not None else {})


def test_the_user_list_shows_what_an_admin_manages_and_no_credential(api: Api) -> None:
    add_user(api.db, api.settings, "pk1", ["picker"], badge="BADGE-SECRET-0042")
    assert login(api, user_code="pk1", pin=PIN).status_code == 201
    listed = user(api, "pk1")
    assert listed["roles"] == ["picker"]
    assert (listed["enabled"], listed["locked"], listed["language"]) == (True, False, "")
    assert listed["last_login_at"] is not None
    assert listed["badge"] == "****42"
    text = api.get("/api/v1/users", role="admin").text
    assert "BADGE-SECRET" not in text and "pin_hash" not in text and "badge_hash" not in text


def test_a_locked_user_is_listed_as_locked(api: Api) -> None:
    add_user(api.db, api.settings, "pk2", ["picker"])
    assert user(api, "pk2")["locked"] is False
    # As the failed logins leave it (their throttles are tested in test_login_throttling).
    api.db._write(
        lambda conn: conn.execute(
            "UPDATE users SET failed_logins = 5, locked_until = '2999-01-01T00:00:00+00:00' "
            "WHERE code = 'pk2'"
        )
    )
    assert user(api, "pk2")["locked"] is True


def test_admin_adds_a_user_with_a_language_that_the_login_answer_gives(api: Api) -> None:
    body = {"code": "en1", "name": "Ann", "roles": ["packer"], "pin": "5555", "language": "en"}
    assert admin_post(api, "/api/v1/users", body).status_code == 201
    answer = login(api, user_code="en1", pin="5555")
    assert answer.json()["user"]["language"] == "en"
    me = api.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {answer.json()['token']}"}
    )
    assert me.json()["language"] == "en"


def test_admin_disables_and_enables_a_user(api: Api) -> None:
    add_user(api.db, api.settings, "pk3", ["picker"])
    session = login(api, user_code="pk3", pin=PIN).json()["token"]
    assert admin_post(api, "/api/v1/users/pk3/disable").json() == {"code": "pk3", "active": False}
    assert login(api, user_code="pk3", pin=PIN).json()["error"]["code"] == "USER_DISABLED"
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session}"})
    assert me.status_code == 401  # the open session ended with the disable
    assert user(api, "pk3")["enabled"] is False
    assert admin_post(api, "/api/v1/users/pk3/enable").json() == {"code": "pk3", "active": True}
    assert login(api, user_code="pk3", pin=PIN).status_code == 201
    assert [a for a in audit_actions(api, "user:pk3") if a[0] != "login"][-2:] == [
        ("user.disable", "ok"),
        ("user.enable", "ok"),
    ]


def test_admin_changes_roles(api: Api) -> None:
    add_user(api.db, api.settings, "pk4", ["picker"])
    answer = admin_post(api, "/api/v1/users/pk4/roles", {"roles": ["packer", "picker"]})
    assert answer.json() == {"code": "pk4", "roles": ["packer", "picker"]}
    assert user(api, "pk4")["roles"] == ["packer", "picker"]
    bad = admin_post(api, "/api/v1/users/pk4/roles", {"roles": ["boss"]})
    assert bad.json()["error"]["code"] == "ROLE_UNKNOWN"


def test_admin_sets_a_pin(api: Api) -> None:
    add_user(api.db, api.settings, "pk5", ["picker"])
    answer = admin_post(api, "/api/v1/users/pk5/reset-pin", {"pin": "8642"})
    assert answer.json() == {"code": "pk5", "pin_reset": True}  # a PIN given is not echoed
    assert login(api, user_code="pk5", pin="8642").status_code == 201
    short = admin_post(api, "/api/v1/users/pk5/reset-pin", {"pin": "1"})
    assert short.json()["error"]["code"] == "PIN_INVALID"


def test_a_generated_pin_is_shown_once_and_never_stored(api: Api) -> None:
    add_user(api.db, api.settings, "pk6", ["picker"])
    key = new_key("pin")
    first = admin_post(api, "/api/v1/users/pk6/reset-pin", {}, key=key).json()
    pin = first["pin"]
    assert pin.isdigit() and len(pin) >= max(6, api.settings.auth.pin_min_length)
    assert login(api, user_code="pk6", pin=pin).status_code == 201
    replay = admin_post(api, "/api/v1/users/pk6/reset-pin", {}, key=key).json()
    assert replay == {"code": "pk6", "pin_reset": True}
    dump = "\n".join(api.db.read(lambda conn: list(conn.iterdump())))
    assert pin not in dump


def test_admin_sets_and_clears_a_badge_shown_masked(api: Api) -> None:
    add_user(api.db, api.settings, "pk7", ["picker"])
    add_user(api.db, api.settings, "pk8", ["picker"], badge="BADGE-TAKEN-0008")
    answer = admin_post(api, "/api/v1/users/pk7/badge", {"badge": "BADGE-NEW-0077"})
    assert answer.json() == {"code": "pk7", "badge": "****77"}
    assert login(api, badge="BADGE-NEW-0077").json()["user"]["code"] == "pk7"
    assert user(api, "pk7")["badge"] == "****77"
    taken = admin_post(api, "/api/v1/users/pk7/badge", {"badge": "BADGE-TAKEN-0008"})
    assert taken.json()["error"]["code"] == "BADGE_IN_USE"
    cleared = admin_post(api, "/api/v1/users/pk7/badge/clear")
    assert cleared.json() == {"code": "pk7", "badge": None}
    assert login(api, badge="BADGE-NEW-0077").json()["error"]["code"] == "BADGE_UNKNOWN"
    dump = "\n".join(api.db.read(lambda conn: list(conn.iterdump())))
    assert "BADGE-NEW-0077" not in dump


def test_admin_sets_a_users_language_and_the_user_keeps_their_own_choice(api: Api) -> None:
    add_user(api.db, api.settings, "pk9", ["picker"])
    answer = admin_post(api, "/api/v1/users/pk9/language", {"language": "en"})
    assert answer.json() == {"code": "pk9", "language": "en"}
    token = login(api, user_code="pk9", pin=PIN).json()["token"]
    assert login(api, user_code="pk9", pin=PIN).json()["user"]["language"] == "en"
    own = api.client.post(
        "/api/v1/auth/me/language",
        json={"language": "zh"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": new_key()},
    )
    assert own.json() == {"code": "pk9", "language": "zh"}
    assert user(api, "pk9")["language"] == "zh"
    wrong = admin_post(api, "/api/v1/users/pk9/language", {"language": "fr"})
    assert wrong.status_code == 400 and user(api, "pk9")["language"] == "zh"
    assert admin_post(api, "/api/v1/users/pk9/language", {"language": ""}).status_code == 200


def test_a_language_outside_zh_and_en_is_refused_by_the_service(api: Api) -> None:
    with pytest.raises(Exception) as refused:
        run_command(
            api.db,
            SYSTEM,
            "user.set_language",
            new_key(),
            {},
            lambda conn, ctx: service.set_user_language(conn, ctx, "nobody", "fr"),
        )
    assert getattr(refused.value, "code", "") == "LANGUAGE_UNKNOWN"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("enable", {}),
        ("disable", {}),
        ("roles", {"roles": ["picker"]}),
        ("reset-pin", {}),
        ("badge", {"badge": "BADGE-0001"}),
        ("badge/clear", {}),
        ("language", {"language": "en"}),
    ],
)
def test_an_unknown_user_is_not_found_and_audited(api: Api, path: str, body: Any) -> None:
    answer = admin_post(api, f"/api/v1/users/ghost/{path}", body)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "USER_NOT_FOUND"


def test_an_admin_cannot_disable_or_demote_themself(api: Api) -> None:
    api.token("admin")  # admin01
    itself = admin_post(api, "/api/v1/users/admin01/disable")
    assert (itself.status_code, itself.json()["error"]["code"]) == (409, "ADMIN_SELF_DISABLE")
    demote = admin_post(api, "/api/v1/users/admin01/roles", {"roles": ["supervisor"]})
    assert demote.json()["error"]["code"] == "ADMIN_SELF_DEMOTE"
    assert user(api, "admin01")["enabled"] is True and user(api, "admin01")["roles"] == ["admin"]
    assert ("user.disable", "refused") in audit_actions(api, "user:admin01")
    # Keeping the role while adding another is no demotion.
    kept = admin_post(api, "/api/v1/users/admin01/roles", {"roles": ["admin", "supervisor"]})
    assert kept.status_code == 200


def test_one_admin_disables_another_but_never_the_last_one(api: Api) -> None:
    api.token("admin")
    add_user(api.db, api.settings, "adm2", ["admin"])
    assert admin_post(api, "/api/v1/users/adm2/roles", {"roles": ["packer"]}).status_code == 200
    assert admin_post(api, "/api/v1/users/adm2/roles", {"roles": ["admin"]}).status_code == 200
    assert admin_post(api, "/api/v1/users/adm2/disable").status_code == 200
    # admin01 is now the last enabled admin: from the command line too, never disabled.
    for rules in (
        lambda conn, ctx: service.set_user_active(conn, ctx, "admin01", False),
        lambda conn, ctx: service.set_user_roles(conn, ctx, "admin01", ["supervisor"]),
    ):
        with pytest.raises(Conflict) as refused:
            run_command(api.db, SYSTEM, "user.change", new_key(), {}, rules)
        assert refused.value.code == "LAST_ADMIN"
    # A disabled admin does not count, and may be disabled or demoted freely.
    assert admin_post(api, "/api/v1/users/adm2/roles", {"roles": ["picker"]}).status_code == 200


def test_admin_adds_lists_and_revokes_a_token_shown_once(api: Api) -> None:
    key = new_key("token")
    made = admin_post(api, "/api/v1/tokens", {"name": "pack-09", "kind": "station"}, key=key)
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("bf_station_")
    replay = admin_post(api, "/api/v1/tokens", {"name": "pack-09", "kind": "station"}, key=key)
    assert "token" not in replay.json()
    dump = "\n".join(api.db.read(lambda conn: list(conn.iterdump())))
    assert token not in dump
    station = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/auth/me", headers=station).json()["code"] == "pack-09"
    listed = api.get("/api/v1/tokens", role="admin")
    row = next(t for t in listed.json() if t["name"] == "pack-09")
    assert row["kind"] == "station" and row["created_at"] and row["last_used_at"]
    assert set(row) == {"name", "kind", "created_at", "last_used_at"}
    assert token not in listed.text
    again = admin_post(api, "/api/v1/tokens", {"name": "pack-09", "kind": "oms"})
    assert again.json()["error"]["code"] == "TOKEN_EXISTS"
    revoked = admin_post(api, "/api/v1/tokens/pack-09/revoke")
    assert revoked.json() == {"name": "pack-09", "revoked": True}
    assert api.client.get("/api/v1/auth/me", headers=station).status_code == 401
    assert all(t["name"] != "pack-09" for t in api.get("/api/v1/tokens", role="admin").json())
    gone = admin_post(api, "/api/v1/tokens/pack-09/revoke")
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "TOKEN_NOT_FOUND")
    assert [a for a, _ in audit_actions(api, "token:pack-09")] == [
        "token.add",
        "token.revoke",
        "token.revoke",
    ]


def test_a_token_kind_outside_station_and_oms_is_refused(api: Api) -> None:
    answer = admin_post(api, "/api/v1/tokens", {"name": "x1", "kind": "admin"})
    assert answer.status_code == 400
    assert api.get("/api/v1/tokens", role="admin").json() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/tokens"),
        ("POST", "/api/v1/tokens"),
        ("POST", "/api/v1/tokens/station-token/revoke"),
        ("POST", "/api/v1/users/picker01/enable"),
        ("POST", "/api/v1/users/picker01/badge/clear"),
        ("POST", "/api/v1/users/picker01/language"),
    ],
)
def test_a_supervisor_may_not_administer(api: Api, method: str, path: str) -> None:
    api.token("picker")
    answer = api.client.request(
        method, path, headers=api.headers("supervisor", key=new_key()), json={}
    )
    assert answer.json()["error"]["code"] == "ROLE_NOT_ALLOWED"


def test_a_station_has_no_language_of_its_own(api: Api) -> None:
    answer = api.client.post(
        "/api/v1/auth/me/language",
        json={"language": "en"},
        headers=api.headers("station", key=new_key()),
    )
    assert answer.json()["error"]["code"] == "ROLE_NOT_ALLOWED"


def test_a_new_users_pin_and_badge_never_enter_the_stored_fingerprint(api: Api) -> None:
    key = new_key("user")
    body = {"code": "pk9", "name": "P K", "roles": ["picker"], "pin": "97531"}
    body["badge"] = "BADGE-NEW-9931"
    assert admin_post(api, "/api/v1/users", body, key=key).status_code == 201
    stored = api.db.read(
        lambda conn: conn.execute(
            "SELECT actor, request_hash FROM commands WHERE key = ?", (key,)
        ).fetchone()
    )
    # The PIN stands as null (as it always did), the badge as its masked end only.
    without_secrets = {**body, "pin": None, "badge": "****31", "language": ""}
    expected = request_fingerprint("user.add", [stored["actor"], without_secrets])
    assert stored["request_hash"] == expected


def test_a_pin_reset_key_sent_again_with_a_pin_is_refused_not_replayed(api: Api) -> None:
    add_user(api.db, api.settings, "pk10", ["picker"])
    key = new_key("pin")
    assert "pin" in admin_post(api, "/api/v1/users/pk10/reset-pin", {}, key=key).json()
    given = admin_post(api, "/api/v1/users/pk10/reset-pin", {"pin": "8642"}, key=key)
    assert (given.status_code, given.json()["error"]["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")


def test_no_pin_badge_or_token_reaches_an_audit_line(api: Api) -> None:
    user = {"code": "pk11", "name": "P K", "roles": ["picker"], "pin": "97531"}
    assert admin_post(api, "/api/v1/users", {**user, "badge": "BADGE-AUDIT-0011"}).status_code
    assert admin_post(api, "/api/v1/users", {**user, "code": "pk12", "pin": "1"}).status_code
    admin_post(api, "/api/v1/users/pk11/badge", {"badge": "BADGE-AUDIT-0012"})
    pin = admin_post(api, "/api/v1/users/pk11/reset-pin", {}).json()["pin"]
    token = admin_post(api, "/api/v1/tokens", {"name": "audit-1", "kind": "oms"}).json()["token"]
    lines = api.db.read(
        lambda conn: "\n".join(
            f"{r[0]} {r[1]}" for r in conn.execute("SELECT target, details FROM audit")
        )
    )
    assert "pk11" in lines and "audit-1" in lines
    for secret in ("97531", "BADGE-AUDIT-0011", "BADGE-AUDIT-0012", pin, token):
        assert secret not in lines
