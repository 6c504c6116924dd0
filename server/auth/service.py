"""Users, PINs, login sessions and API tokens.

PINs are short, so they are stored with a deliberately slow hash (scrypt) and a user is
locked after a few failed logins in a row. Session and API tokens are random and long;
only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec

from server.commands import Actor, CommandContext, utc_now, write_audit
from server.config import ROLES, AuthSettings
from server.db import Database
from server.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated

# scrypt cost: ~50 ms per check on a small machine; enough to make guessing 4-6 digit
# PINs offline slow, cheap enough for a login.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
TOKEN_KINDS = ("station", "oms")
MANAGER_ROLES = frozenset({"supervisor", "admin"})
_DUMMY_PIN_HASH = "scrypt$16384$8$1$" + "00" * 16 + "$" + "00" * 64


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_pin_rules(pin: str, settings: AuthSettings) -> None:
    if not (pin.isascii() and pin.isdigit()) or not settings.pin_min_length <= len(pin) <= 12:
        raise InvalidInput(f"a PIN is {settings.pin_min_length} to 12 digits", code="PIN_INVALID")


def check_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidInput(
            f"roles must be some of {', '.join(ROLES)}",
            code="ROLE_UNKNOWN",
            details={"unknown": unknown},
        )
    return sorted(set(roles))


def add_user(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: AuthSettings,
    *,
    code: str,
    name: str,
    roles: list[str],
    pin: str,
    badge: str | None = None,
) -> dict[str, object]:
    check_pin_rules(pin, settings)
    roles = check_roles(roles)
    if conn.execute("SELECT 1 FROM users WHERE code = ?", (code,)).fetchone():
        raise Conflict(f"user {code} exists already", code="USER_EXISTS")
    if badge and conn.execute("SELECT 1 FROM users WHERE badge = ?", (badge,)).fetchone():
        raise Conflict("this badge belongs to another user", code="BADGE_IN_USE")
    conn.execute(
        "INSERT INTO users (code, name, roles, pin_hash, badge, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (code, name, ",".join(roles), hash_pin(pin), badge or None, ctx.at),
    )
    ctx.audit_target = f"user:{code}"
    return {"code": code, "name": name, "roles": roles, "active": True}


def set_user_active(
    conn: sqlite3.Connection, ctx: CommandContext, code: str, active: bool
) -> dict[str, object]:
    _user_row(conn, code)
    conn.execute("UPDATE users SET active = ? WHERE code = ?", (int(active), code))
    if not active:
        conn.execute(
            "UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL AND user_id = "
            "(SELECT id FROM users WHERE code = ?)",
            (ctx.at, code),
        )
    ctx.audit_target = f"user:{code}"
    return {"code": code, "active": active}


def reset_pin(
    conn: sqlite3.Connection, ctx: CommandContext, settings: AuthSettings, code: str, pin: str
) -> dict[str, object]:
    check_pin_rules(pin, settings)
    user = _user_row(conn, code)
    held = set(user["roles"].split(","))
    # A new PIN is a way into the account: only an admin opens a manager's (else a
    # supervisor could log in as an admin and hand out roles).
    if held & MANAGER_ROLES and "admin" not in ctx.actor.roles:
        raise Forbidden(
            f"only an admin resets the PIN of {code}, who holds {', '.join(sorted(held))}",
            code="PIN_RESET_NEEDS_ADMIN",
            details={"user": code},
        )
    conn.execute(
        "UPDATE users SET pin_hash = ?, failed_logins = 0 WHERE code = ?", (hash_pin(pin), code)
    )
    ctx.audit_target = f"user:{code}"
    return {"code": code, "pin_reset": True}


def _user_row(conn: sqlite3.Connection, code: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM users WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise NotFound(f"no user {code}", code="USER_NOT_FOUND")
    return row


@dataclass(frozen=True)
class LoginOutcome:
    """A session (`answer`) or a refusal (`refused` = code, message); never both."""

    answer: dict[str, object] | None = None
    refused: tuple[str, str] | None = None


def login(
    db: Database,
    settings: AuthSettings,
    *,
    device: str,
    user_code: str | None = None,
    pin: str | None = None,
    badge: str | None = None,
) -> LoginOutcome:
    """Check a PIN or a badge and open a session; failed attempts are audited and counted.

    The slow PIN hash is checked outside the write transaction, so a shift of handhelds
    logging in at once never holds up scans. Refusals are committed (failure count and
    audit line) and returned for the caller to raise.
    """
    if badge:
        where, value, who = "badge = ?", badge, f"badge:{badge[-4:]}"
    else:
        where, value, who = "code = ?", user_code or "", f"user:{user_code}"
    row = db.read(
        lambda conn: conn.execute(f"SELECT * FROM users WHERE {where}", (value,)).fetchone()
    )
    # Unknown users cost the same hash as known ones: timing does not tell who exists.
    pin_ok = bool(badge) or verify_pin(pin or "", row["pin_hash"] if row else _DUMMY_PIN_HASH)
    return db.write(
        lambda conn: _record_login(conn, settings, row, pin_ok=pin_ok, who=who, device=device)
    )


def _record_login(
    conn: sqlite3.Connection,
    settings: AuthSettings,
    found: sqlite3.Row | None,
    *,
    pin_ok: bool,
    who: str,
    device: str,
) -> LoginOutcome:
    anonymous = Actor(kind="user", code=who.split(":", 1)[1], roles=frozenset(), device=device)

    def refuse(code: str, message: str) -> LoginOutcome:
        write_audit(conn, anonymous, "login", target=who, outcome="denied", code=code)
        return LoginOutcome(refused=(code, message))

    if found is None:
        return refuse("LOGIN_FAILED", "unknown user or wrong PIN")
    # Read again inside the write: the user may have been disabled, locked or given a new
    # PIN since the PIN was checked.
    row = conn.execute("SELECT * FROM users WHERE id = ?", (found["id"],)).fetchone()
    if not row["active"]:
        return refuse("USER_DISABLED", "this user is disabled")
    if row["failed_logins"] >= settings.max_failed_logins:
        return refuse("USER_LOCKED", "too many failed logins; a supervisor must reset the PIN")
    if not pin_ok or row["pin_hash"] != found["pin_hash"]:
        conn.execute(
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?", (row["id"],)
        )
        return refuse("LOGIN_FAILED", "unknown user or wrong PIN")
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + timedelta(hours=settings.session_hours)
    conn.execute("UPDATE users SET failed_logins = 0 WHERE id = ?", (row["id"],))
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, device, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (hash_token(token), row["id"], device, now.isoformat(), expires.isoformat()),
    )
    actor = Actor(
        kind="user", code=row["code"], roles=frozenset(row["roles"].split(",")), device=device
    )
    write_audit(conn, actor, "login", target=f"user:{row['code']}")
    return LoginOutcome(
        answer={
            "token": token,
            "expires_at": expires.isoformat(timespec="seconds"),
            "user": {"code": row["code"], "name": row["name"], "roles": row["roles"].split(",")},
        }
    )


def logout(conn: sqlite3.Connection, token: str) -> None:
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
        (utc_now(), hash_token(token)),
    )


def actor_for_token(conn: sqlite3.Connection, token: str, device: str) -> Actor:
    """The user session or API token behind a bearer token, or Unauthenticated."""
    digest = hash_token(token)
    row = conn.execute(
        "SELECT u.code, u.roles, s.expires_at, s.device FROM sessions s "
        "JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.ended_at IS NULL AND u.active = 1",
        (digest,),
    ).fetchone()
    if row is not None:
        if datetime.fromisoformat(row["expires_at"]) <= datetime.now(UTC):
            raise Unauthenticated("the session has expired; log in again", code="SESSION_EXPIRED")
        return Actor(
            kind="user",
            code=row["code"],
            roles=frozenset(row["roles"].split(",")),
            device=device or row["device"],
        )
    api = conn.execute(
        "SELECT name, kind FROM api_tokens WHERE token_hash = ? AND active = 1", (digest,)
    ).fetchone()
    if api is not None:
        return Actor(
            kind=api["kind"],
            code=api["name"],
            roles=frozenset({api["kind"]}),
            device=device or api["name"],
        )
    raise Unauthenticated("unknown or ended session; log in again", code="UNAUTHENTICATED")


def add_api_token(
    conn: sqlite3.Connection, ctx: CommandContext, name: str, kind: str
) -> dict[str, object]:
    """Create a station or OMS token; the plain token is shown once and never stored."""
    if kind not in TOKEN_KINDS:
        raise InvalidInput(
            f"token kind is one of {', '.join(TOKEN_KINDS)}", code="TOKEN_KIND_UNKNOWN"
        )
    if conn.execute("SELECT 1 FROM api_tokens WHERE name = ?", (name,)).fetchone():
        raise Conflict(f"a token named {name} exists already", code="TOKEN_EXISTS")
    token = f"bf_{kind}_{secrets.token_urlsafe(32)}"
    conn.execute(
        "INSERT INTO api_tokens (name, kind, token_hash, created_at) VALUES (?, ?, ?, ?)",
        (name, kind, hash_token(token), ctx.at),
    )
    ctx.audit_target = f"token:{name}"
    return {"name": name, "kind": kind, "token": token}


def renew_api_token(
    conn: sqlite3.Connection, ctx: CommandContext, name: str, kind: str
) -> dict[str, object]:
    """A new plain token for `name` (made if missing); the one before stops working."""
    conn.execute("DELETE FROM api_tokens WHERE name = ? AND kind = ?", (name, kind))
    return add_api_token(conn, ctx, name, kind)


def list_users(conn: sqlite3.Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        "SELECT code, name, roles, active, badge IS NOT NULL AS has_badge, "
        "failed_logins FROM users ORDER BY code"
    ).fetchall()
    return [
        {
            **dict(r),
            "roles": r["roles"].split(","),
            "active": bool(r["active"]),
            "has_badge": bool(r["has_badge"]),
        }
        for r in rows
    ]


def list_audit(
    conn: sqlite3.Connection, *, outcome: str | None, limit: int
) -> list[dict[str, object]]:
    where, params = ("WHERE outcome = ?", [outcome]) if outcome else ("", [])
    rows = conn.execute(f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [{**dict(r), "details": msgspec.json.decode(r["details"])} for r in rows]


def display_name(conn: sqlite3.Connection, actor: Actor) -> str:
    if actor.kind != "user":
        return actor.code
    row = conn.execute("SELECT name FROM users WHERE code = ?", (actor.code,)).fetchone()
    return str(row["name"]) if row else actor.code
