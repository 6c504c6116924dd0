"""Users, PINs, login sessions and API tokens.

PINs are short, so they are stored with a deliberately slow hash (scrypt) and a user is
locked for a while after a few failed logins in a row. Badges, session and API tokens
are random and long; only their SHA-256 is stored. Logins pass the throttles of
`server.auth.throttle` first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from server import clock, system_writes
from server.auth.schemas import (
    AuditLine,
    LoginAnswer,
    LoginUser,
    PinWasReset,
    SessionEnded,
    SessionView,
    TokenAdded,
    TokenRevoked,
    UserActive,
    UserAdded,
    UserBadge,
    UserLanguage,
    UserRoles,
    UserUnlocked,
)
from server.auth.throttle import LoginGate, delay_after, login_throttled
from server.commands import Actor, CommandContext, write_audit
from server.config import ROLES, AuthSettings
from server.db import Database
from server.error_codes import ERR, ErrorCode
from server.errors import Unauthenticated

# scrypt cost: ~50 ms per check on a small machine; enough to make guessing 4-6 digit
# PINs offline slow, cheap enough for a login.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
TOKEN_KINDS = ("station", "oms")
LANGUAGES = ("zh", "en")
"""A user's language on any handheld; '' leaves it to the handheld's own switch."""
GENERATED_PIN_LENGTH = 6
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
        raise ERR.PIN_INVALID(pin_min_length=settings.pin_min_length)


def check_language(language: str) -> str:
    if language not in ("", *LANGUAGES):
        raise ERR.LANGUAGE_UNKNOWN({"allowed": list(LANGUAGES)}, languages=", ".join(LANGUAGES))
    return language


def generate_pin(settings: AuthSettings) -> str:
    """A random PIN by the site's rules, for an admin to hand over once."""
    length = max(settings.pin_min_length, GENERATED_PIN_LENGTH)
    return "".join(str(secrets.randbelow(10)) for _ in range(length))


def check_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ERR.ROLE_UNKNOWN({"unknown": unknown}, roles=", ".join(ROLES))
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
    language: str = "",
) -> UserAdded:
    check_pin_rules(pin, settings)
    roles = check_roles(roles)
    check_language(language)
    if conn.execute("SELECT 1 FROM users WHERE code = ?", (code,)).fetchone():
        raise ERR.USER_EXISTS(code=code)
    badge_hash = hash_badge(badge) if badge else None
    if badge_hash:
        _check_badge_free(conn, badge_hash, code)
    conn.execute(
        "INSERT INTO users (code, name, roles, pin_hash, badge_hash, badge_mask, language, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            code,
            name,
            ",".join(roles),
            hash_pin(pin),
            badge_hash,
            mask_badge(badge) if badge else "",
            language,
            ctx.at,
        ),
    )
    ctx.audit_target = f"user:{code}"
    return UserAdded(code=code, name=name, roles=roles, active=True, language=language)


def _check_badge_free(conn: sqlite3.Connection, badge_hash: str, code: str) -> None:
    owner = conn.execute("SELECT code FROM users WHERE badge_hash = ?", (badge_hash,)).fetchone()
    if owner is not None and owner["code"] != code:
        raise ERR.BADGE_IN_USE()


def _is_admin(row: sqlite3.Row) -> bool:
    return bool(row["active"]) and "admin" in row["roles"].split(",")


def _keep_an_admin(
    conn: sqlite3.Connection, ctx: CommandContext, row: sqlite3.Row, *, demoted: bool
) -> None:
    """An enabled admin about to be disabled (or to lose the role): never oneself, never
    the last one, so the site always keeps someone who can manage users."""
    if not _is_admin(row):
        return
    if ctx.actor.kind == "user" and ctx.actor.code == row["code"]:
        refusal = ERR.ADMIN_SELF_DEMOTE if demoted else ERR.ADMIN_SELF_DISABLE
        raise refusal({"user": row["code"]})
    others = [
        r
        for r in conn.execute(
            "SELECT code, roles, active FROM users WHERE code != ?", (row["code"],)
        )
        if _is_admin(r)
    ]
    if not others:
        raise ERR.LAST_ADMIN({"user": row["code"]})


def set_user_active(
    conn: sqlite3.Connection, ctx: CommandContext, code: str, active: bool
) -> UserActive:
    ctx.audit_target = f"user:{code}"  # a refusal below is audited against the user too
    user = _user_row(conn, code)
    if not active:
        _keep_an_admin(conn, ctx, user, demoted=False)
    conn.execute("UPDATE users SET active = ? WHERE code = ?", (int(active), code))
    if not active:
        end_user_sessions(conn, code, ctx.at)
    ctx.audit_target = f"user:{code}"
    return UserActive(code=code, active=active)


def reset_pin(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: AuthSettings,
    code: str,
    pin: str | None,
) -> PinWasReset:
    """Set a user's new PIN; with none given, the server makes one and the answer holds it
    (the route shows it once: it is never stored)."""
    new_pin = generate_pin(settings) if pin is None else pin
    check_pin_rules(new_pin, settings)
    user = _user_row(conn, code)
    held = set(user["roles"].split(","))
    # A new PIN is a way into the account: only an admin opens a manager's (else a
    # supervisor could log in as an admin and hand out roles).
    if held & MANAGER_ROLES and "admin" not in ctx.actor.roles:
        raise ERR.PIN_RESET_NEEDS_ADMIN({"user": code}, held=", ".join(sorted(held)))
    conn.execute(
        "UPDATE users SET pin_hash = ?, failed_logins = 0, last_failed_at = NULL, "
        "locked_until = NULL WHERE code = ?",
        (hash_pin(new_pin), code),
    )
    # Whoever knew the old PIN may hold a session: it ends with the PIN.
    end_user_sessions(conn, code, ctx.at)
    ctx.audit_target = f"user:{code}"
    return PinWasReset(code=code, pin_reset=True, pin=new_pin if pin is None else None)


def _user_row(conn: sqlite3.Connection, code: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM users WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise ERR.USER_NOT_FOUND(user=code)
    return row


TRUSTED_ADDRESS_DAYS = 30
"""An address the user had a session from in this many days is theirs: see `login`."""
SESSION_TOUCH_SECONDS = 60
"""A session's last use is written at most this often (a write per request would cost a sync)."""


def hash_badge(badge: str) -> str:
    """A badge is long and random: a plain SHA-256 is enough to keep it unreadable at rest."""
    return hashlib.sha256(badge.encode()).hexdigest()


def mask_badge(badge: str) -> str:
    """What may be shown of a badge: its last two characters, never its length."""
    return "****" + badge[-2:]


@dataclass(frozen=True)
class LoginAttempt:
    """One login request: user code + PIN, a badge, or a badge + PIN; from where."""

    device: str
    address: str
    user_code: str | None = None
    pin: str | None = None
    badge: str | None = None

    @property
    def who(self) -> str:
        return f"badge:{mask_badge(self.badge)}" if self.badge else f"user:{self.user_code}"


def login(
    db: Database, settings: AuthSettings, gate: LoginGate, attempt: LoginAttempt
) -> LoginAnswer:
    """Check a PIN and/or a badge and open a session; raises on refusal.

    In order, each cheaper than the next: the client address's throttle (429, nothing
    written), the user's lock and delay (kept on the user's row), the PIN check in its
    small pool (429 when full), then one write with the session or the counted failure.
    The lock and the user's delay do not hold at an address where the user had a session
    in the last TRUSTED_ADDRESS_DAYS: someone elsewhere on the Wi-Fi can slow a user down
    but cannot lock them out of their own handheld (that address is still throttled).
    The slow PIN hash runs outside the write transaction, so logins never hold up scans.
    """
    with gate.addresses.admit(attempt.address, settings):
        return _login(db, settings, gate, attempt)


def _login(
    db: Database, settings: AuthSettings, gate: LoginGate, attempt: LoginAttempt
) -> LoginAnswer:
    if attempt.badge:
        where, value = "badge_hash = ?", hash_badge(attempt.badge)
    else:
        where, value = "code = ?", attempt.user_code or ""
    now = clock.now()
    row, trusted = db.read(lambda conn: _login_user(conn, where, value, attempt.address, now))
    if row is not None and not trusted:
        wait = _user_wait(row, settings, now)
        if wait > 0 and not _locked(row, now):
            raise login_throttled(wait, "user")
    pin_roles = set(settings.badge_pin_roles)
    needs_pin = not attempt.badge or bool(attempt.pin)
    if attempt.badge and row is not None and set(row["roles"].split(",")) & pin_roles:
        if not attempt.pin:
            raise ERR.BADGE_NEEDS_PIN()
        needs_pin = True
    pin_ok = row is not None and not needs_pin
    if needs_pin and not (row is not None and _locked(row, now) and not trusted):
        # (A locked user is refused in the write without spending a hash.)
        with gate.pin_checks.slot():
            # Unknown users cost the same hash as known ones: timing does not tell who exists.
            stored = row["pin_hash"] if row else _DUMMY_PIN_HASH
            pin_ok = verify_pin(attempt.pin or "", stored) and row is not None
    outcome = system_writes.record_login(
        db, settings, gate, row, attempt, pin_ok=pin_ok, trusted=trusted, now=now
    )
    if outcome.refused is not None or outcome.answer is None:
        refusal, details = outcome.refused or (ERR.LOGIN_FAILED, {})
        raise refusal.answered_as(Unauthenticated, details)
    return outcome.answer


def _login_user(
    conn: sqlite3.Connection, where: str, value: str, address: str, now: datetime
) -> tuple[sqlite3.Row | None, bool]:
    row = conn.execute(f"SELECT * FROM users WHERE {where}", (value,)).fetchone()
    if row is None or not address:
        return row, False
    since = (now - timedelta(days=TRUSTED_ADDRESS_DAYS)).isoformat()
    trusted = conn.execute(
        "SELECT 1 FROM sessions WHERE user_id = ? AND address = ? AND created_at > ? LIMIT 1",
        (row["id"], address, since),
    ).fetchone()
    return row, trusted is not None


def _locked(row: sqlite3.Row, now: datetime) -> bool:
    until = row["locked_until"]
    return until is not None and datetime.fromisoformat(until) > now


def _user_wait(row: sqlite3.Row, settings: AuthSettings, now: datetime) -> float:
    if _locked(row, now):
        return (datetime.fromisoformat(row["locked_until"]) - now).total_seconds()
    if not row["last_failed_at"] or _lock_ran_out(row, now):
        return 0.0
    last = datetime.fromisoformat(row["last_failed_at"])
    return delay_after(row["failed_logins"], settings) - (now - last).total_seconds()


def _lock_ran_out(row: sqlite3.Row, now: datetime) -> bool:
    return row["locked_until"] is not None and not _locked(row, now)


@dataclass(frozen=True)
class LoginOutcome:
    """A session (`answer`) or a refusal (`refused` = code, message, details); never both."""

    answer: LoginAnswer | None = None
    refused: tuple[ErrorCode, dict[str, object]] | None = None


def record_login(
    conn: sqlite3.Connection,
    settings: AuthSettings,
    gate: LoginGate,
    found: sqlite3.Row | None,
    attempt: LoginAttempt,
    *,
    pin_ok: bool,
    trusted: bool,
    now: datetime,
) -> LoginOutcome:
    who = attempt.who
    anonymous = Actor(
        kind="user", code=who.split(":", 1)[1], roles=frozenset(), device=attempt.device
    )

    def refuse(refusal: ErrorCode, details: dict[str, object] | None = None) -> LoginOutcome:
        failures, throttled = gate.addresses.failed(attempt.address, settings)
        # One line per failed attempt that got this far (the pool and the throttles keep
        # them few); attempts answered 429 meanwhile are told here, as one number.
        audit = {"address": attempt.address, "failures_from_address": failures}
        if throttled:
            audit["throttled_meanwhile"] = throttled
        write_audit(
            conn, anonymous, "login", target=who, outcome="denied", code=refusal.code, details=audit
        )
        return LoginOutcome(refused=(refusal, details or {}))

    if found is None:
        # A badge alone logs in or not, so saying it is unknown tells nothing more; a user
        # code never says whether the user exists.
        if attempt.badge:
            return refuse(ERR.BADGE_UNKNOWN)
        return refuse(ERR.LOGIN_FAILED)
    # Read again inside the write: the user may have been disabled, locked, unlocked or
    # given a new PIN since the PIN was checked.
    row = conn.execute("SELECT * FROM users WHERE id = ?", (found["id"],)).fetchone()
    if not row["active"]:
        return refuse(ERR.USER_DISABLED)
    if (
        attempt.badge
        and not attempt.pin
        and set(row["roles"].split(",")) & set(settings.badge_pin_roles)
    ):
        return refuse(ERR.BADGE_NEEDS_PIN)
    if _locked(row, now) and not trusted:
        seconds = max(1, int((datetime.fromisoformat(row["locked_until"]) - now).total_seconds()))
        return refuse(ERR.USER_LOCKED, {"retry_after": seconds})
    if not pin_ok or row["pin_hash"] != found["pin_hash"]:
        failures = 1 if _lock_ran_out(row, now) else row["failed_logins"] + 1
        locked_until = None
        if failures >= settings.max_failed_logins:
            locked_until = (now + timedelta(minutes=settings.lockout_minutes)).isoformat()
        elif not _lock_ran_out(row, now):
            locked_until = row["locked_until"]
        conn.execute(
            "UPDATE users SET failed_logins = ?, last_failed_at = ?, locked_until = ? WHERE id = ?",
            (failures, now.isoformat(), locked_until, row["id"]),
        )
        if attempt.badge:  # the badge was known (it asked for the PIN): the PIN is wrong
            return refuse(ERR.BADGE_PIN_WRONG)
        return refuse(ERR.LOGIN_FAILED)
    throttled = gate.addresses.succeeded(attempt.address)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.session_hours)
    conn.execute(
        "UPDATE users SET failed_logins = 0, last_failed_at = NULL, locked_until = NULL, "
        "last_login_at = ? WHERE id = ?",
        (now.isoformat(), row["id"]),
    )
    conn.execute(
        "INSERT INTO sessions (token_hash, public_id, user_id, device, address, created_at, "
        "last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            hash_token(token),
            secrets.token_hex(8),
            row["id"],
            attempt.device,
            attempt.address,
            now.isoformat(),
            now.isoformat(),
            expires.isoformat(),
        ),
    )
    _end_sessions_over_cap(conn, row["id"], settings.max_sessions_per_user, now.isoformat())
    actor = Actor(
        kind="user",
        code=row["code"],
        roles=frozenset(row["roles"].split(",")),
        device=attempt.device,
    )
    details = {
        "address": attempt.address,
        **({"throttled_meanwhile": throttled} if throttled else {}),
    }
    write_audit(conn, actor, "login", target=f"user:{row['code']}", details=details)
    return LoginOutcome(
        answer=LoginAnswer(
            token=token,
            expires_at=expires.isoformat(timespec="seconds"),
            user=LoginUser(
                code=row["code"],
                name=row["name"],
                roles=row["roles"].split(","),
                language=row["language"],
            ),
        )
    )


def _end_sessions_over_cap(conn: sqlite3.Connection, user_id: int, cap: int, at: str) -> None:
    """The newest `cap` open sessions stay; older ones end (a lost handheld's among them)."""
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE token_hash IN (SELECT token_hash FROM sessions "
        "WHERE user_id = ? AND ended_at IS NULL ORDER BY created_at DESC, rowid DESC "
        "LIMIT -1 OFFSET ?)",
        (at, user_id, cap),
    )


def end_user_sessions(conn: sqlite3.Connection, code: str, at: str) -> int:
    """End every open session of user `code` (a new PIN, a new role, disabled)."""
    return conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL AND user_id = "
        "(SELECT id FROM users WHERE code = ?)",
        (at, code),
    ).rowcount


def logout(conn: sqlite3.Connection, token: str, at: str) -> None:
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
        (at, hash_token(token)),
    )


def note_token_used(conn: sqlite3.Connection, kind: str, token: str, at: str) -> None:
    """A session's (kind `user`) or API token's last use."""
    table = "sessions" if kind == "user" else "api_tokens"
    conn.execute(
        f"UPDATE {table} SET last_used_at = ? WHERE token_hash = ?", (at, hash_token(token))
    )


def end_expired_sessions(conn: sqlite3.Connection, now: str, idle_since: str) -> int:
    """Close sessions past their expiry at `now`, or last used before `idle_since` ('' for
    no idle limit); how many were closed."""
    return (
        conn.execute(
            "UPDATE sessions SET ended_at = expires_at WHERE ended_at IS NULL AND expires_at < ?",
            (now,),
        ).rowcount
        + conn.execute(
            "UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL AND last_used_at < ?",
            (now, idle_since),
        ).rowcount
    )


def authenticate(db: Database, settings: AuthSettings, token: str, device: str) -> Actor:
    """The actor behind a bearer token; a session's last use is noted about once a minute."""
    now = clock.now()
    actor, stale = db.read(lambda conn: actor_for_token(conn, token, device, settings, now))
    if stale:
        system_writes.note_token_used(db, actor.kind, token, now.isoformat())
    return actor


def actor_for_token(
    conn: sqlite3.Connection,
    token: str,
    device: str,
    settings: AuthSettings | None = None,
    now: datetime | None = None,
) -> tuple[Actor, bool]:
    """The user session or API token behind a bearer token, or Unauthenticated; and whether
    the session's last use is old enough to be written again."""
    settings = settings or AuthSettings()
    now = now or clock.now()
    digest = hash_token(token)
    row = conn.execute(
        "SELECT u.code, u.roles, s.expires_at, s.device, s.last_used_at, s.created_at "
        "FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.ended_at IS NULL AND u.active = 1",
        (digest,),
    ).fetchone()
    if row is not None:
        if datetime.fromisoformat(row["expires_at"]) <= now:
            raise ERR.SESSION_EXPIRED()
        last_used = datetime.fromisoformat(row["last_used_at"] or row["created_at"])
        idle = (now - last_used).total_seconds()
        if idle > settings.session_idle_minutes * 60:
            raise ERR.SESSION_EXPIRED({"reason": "idle"})
        actor = Actor(
            kind="user",
            code=row["code"],
            roles=frozenset(row["roles"].split(",")),
            device=device or row["device"],
        )
        return actor, idle > SESSION_TOUCH_SECONDS
    api = conn.execute(
        "SELECT name, kind, last_used_at FROM api_tokens WHERE token_hash = ? AND active = 1",
        (digest,),
    ).fetchone()
    if api is not None:
        actor = Actor(
            kind=api["kind"],
            code=api["name"],
            roles=frozenset({api["kind"]}),
            device=device or api["name"],
        )
        last = api["last_used_at"]
        stale = last is None or (now - datetime.fromisoformat(last)).total_seconds() > (
            SESSION_TOUCH_SECONDS
        )
        return actor, stale
    raise ERR.UNAUTHENTICATED()


def list_sessions(
    conn: sqlite3.Connection, settings: AuthSettings, user_code: str, token: str
) -> list[SessionView]:
    """The caller's open sessions (not expired, not idle), newest first; never their tokens."""
    now = clock.now()
    idle_since = (now - timedelta(minutes=settings.session_idle_minutes)).isoformat()
    rows = conn.execute(
        "SELECT s.public_id, s.device, s.address, s.created_at, s.last_used_at, s.expires_at, "
        "s.token_hash = ? AS current FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE u.code = ? AND s.ended_at IS NULL ORDER BY s.created_at DESC, s.rowid DESC",
        (hash_token(token), user_code),
    ).fetchall()
    return [
        SessionView(
            id=r["public_id"],
            device=r["device"],
            address=r["address"],
            created_at=r["created_at"],
            last_used_at=r["last_used_at"],
            expires_at=r["expires_at"],
            current=bool(r["current"]),
        )
        for r in rows
        if r["expires_at"] > now.isoformat() and (r["last_used_at"] or "") > idle_since
    ]


def end_own_session(conn: sqlite3.Connection, ctx: CommandContext, session_id: str) -> SessionEnded:
    """End one of the caller's own sessions (a handheld left logged in somewhere)."""
    ended = conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE public_id = ? AND ended_at IS NULL AND "
        "user_id = (SELECT id FROM users WHERE code = ?)",
        (ctx.at, session_id, ctx.actor.code),
    ).rowcount
    if not ended or ctx.actor.kind != "user":
        raise ERR.SESSION_NOT_FOUND({"session": session_id})
    ctx.audit_target = f"session:{session_id}"
    return SessionEnded(id=session_id, ended=True)


def unlock_user(conn: sqlite3.Connection, ctx: CommandContext, code: str) -> UserUnlocked:
    """Lift a lock and the failure count; a supervisor unlocks floor users, an admin anyone."""
    user = _user_row(conn, code)
    held = set(user["roles"].split(","))
    if held & MANAGER_ROLES and "admin" not in ctx.actor.roles:
        raise ERR.UNLOCK_NEEDS_ADMIN({"user": code}, held=", ".join(sorted(held)))
    conn.execute(
        "UPDATE users SET failed_logins = 0, last_failed_at = NULL, locked_until = NULL "
        "WHERE code = ?",
        (code,),
    )
    ctx.audit_target = f"user:{code}"
    return UserUnlocked(code=code, unlocked=True)


def set_user_roles(
    conn: sqlite3.Connection, ctx: CommandContext, code: str, roles: list[str]
) -> UserRoles:
    """Give a user new roles; their sessions end, so no screen keeps what the old role saw."""
    ctx.audit_target = f"user:{code}"  # a refusal below is audited against the user too
    roles = check_roles(roles)
    user = _user_row(conn, code)
    if "admin" not in roles:
        _keep_an_admin(conn, ctx, user, demoted=True)
    conn.execute("UPDATE users SET roles = ? WHERE code = ?", (",".join(roles), code))
    end_user_sessions(conn, code, ctx.at)
    ctx.audit_target = f"user:{code}"
    return UserRoles(code=code, roles=roles)


def new_api_token(kind: str) -> str:
    return f"bf_{kind}_{secrets.token_urlsafe(32)}"


def register_api_token(
    conn: sqlite3.Connection, ctx: CommandContext, name: str, kind: str, token: str
) -> TokenAdded:
    """Keep the hash of a new station or OMS token. The answer holds the token for its first
    caller only: the route declares it `shown_once`, so the stored answer (for replays)
    never holds it."""
    if kind not in TOKEN_KINDS:
        raise ERR.TOKEN_KIND_UNKNOWN(kinds=", ".join(TOKEN_KINDS))
    if conn.execute("SELECT 1 FROM api_tokens WHERE name = ?", (name,)).fetchone():
        raise ERR.TOKEN_EXISTS(name=name)
    conn.execute(
        "INSERT INTO api_tokens (name, kind, token_hash, created_at) VALUES (?, ?, ?, ?)",
        (name, kind, hash_token(token), ctx.at),
    )
    ctx.audit_target = f"token:{name}"
    return TokenAdded(name=name, kind=kind, created_at=ctx.at, token=token)


def add_api_token(
    conn: sqlite3.Connection, ctx: CommandContext, name: str, kind: str
) -> dict[str, object]:
    """Create a station or OMS token; the plain token is shown once and never stored."""
    added: dict[str, object] = msgspec.to_builtins(
        register_api_token(conn, ctx, name, kind, new_api_token(kind))
    )
    return added


def list_api_tokens(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """Every working token: name, kind, made and last used; never the token or its hash."""
    rows = conn.execute(
        "SELECT name, kind, created_at, last_used_at FROM api_tokens WHERE active = 1 ORDER BY name"
    )
    return [dict(r) for r in rows]


def revoke_api_token(conn: sqlite3.Connection, ctx: CommandContext, name: str) -> TokenRevoked:
    """The token stops working at once; the name is free again (the audit log keeps it)."""
    ctx.audit_target = f"token:{name}"
    gone = conn.execute("DELETE FROM api_tokens WHERE name = ?", (name,)).rowcount
    if not gone:
        raise ERR.TOKEN_NOT_FOUND({"name": name})
    ctx.audit_target = f"token:{name}"
    return TokenRevoked(name=name, revoked=True)


def set_badge(
    conn: sqlite3.Connection, ctx: CommandContext, code: str, badge: str | None
) -> UserBadge:
    """Give a user a badge (kept hashed, shown masked), or take it away (None)."""
    _user_row(conn, code)
    badge_hash = hash_badge(badge) if badge else None
    if badge_hash:
        _check_badge_free(conn, badge_hash, code)
    mask = mask_badge(badge) if badge else ""
    conn.execute(
        "UPDATE users SET badge_hash = ?, badge_mask = ? WHERE code = ?", (badge_hash, mask, code)
    )
    ctx.audit_target = f"user:{code}"
    return UserBadge(code=code, badge=mask or None)


def set_user_language(
    conn: sqlite3.Connection, ctx: CommandContext, code: str, language: str
) -> UserLanguage:
    """The language the handheld takes at this user's login ('' = the handheld's own)."""
    check_language(language)
    _user_row(conn, code)
    conn.execute("UPDATE users SET language = ? WHERE code = ?", (language, code))
    ctx.audit_target = f"user:{code}"
    return UserLanguage(code=code, language=language)


def set_own_language(conn: sqlite3.Connection, ctx: CommandContext, language: str) -> UserLanguage:
    """A user's own choice on the language switch, kept for their next login anywhere."""
    if ctx.actor.kind != "user":
        raise ERR.ROLE_NOT_ALLOWED()
    return set_user_language(conn, ctx, ctx.actor.code, language)


def renew_api_token(
    conn: sqlite3.Connection, ctx: CommandContext, name: str, kind: str
) -> dict[str, object]:
    """A new plain token for `name` (made if missing); the one before stops working."""
    conn.execute("DELETE FROM api_tokens WHERE name = ? AND kind = ?", (name, kind))
    return add_api_token(conn, ctx, name, kind)


def list_users(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """Every user with what an admin manages; the badge only masked, never a credential."""
    now = clock.now()
    rows = conn.execute(
        "SELECT code, name, roles, active, badge_hash IS NOT NULL AS has_badge, badge_mask, "
        "failed_logins, locked_until, language, last_login_at FROM users ORDER BY code"
    ).fetchall()
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "roles": r["roles"].split(","),
            "active": bool(r["active"]),
            "enabled": bool(r["active"]),
            "locked": _locked(r, now),
            "failed_logins": r["failed_logins"],
            "locked_until": r["locked_until"],
            "has_badge": bool(r["has_badge"]),
            "badge": (r["badge_mask"] or "****") if r["has_badge"] else None,
            "language": r["language"],
            "last_login_at": r["last_login_at"],
        }
        for r in rows
    ]


def user_language(conn: sqlite3.Connection, actor: Actor) -> str:
    if actor.kind != "user":
        return ""
    row = conn.execute("SELECT language FROM users WHERE code = ?", (actor.code,)).fetchone()
    return str(row["language"]) if row else ""


def list_audit(conn: sqlite3.Connection, *, outcome: str | None, limit: int) -> list[AuditLine]:
    where, params = ("WHERE outcome = ?", [outcome]) if outcome else ("", [])
    rows = conn.execute(f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [AuditLine(**{**dict(r), "details": msgspec.json.decode(r["details"])}) for r in rows]


def display_name(conn: sqlite3.Connection, actor: Actor) -> str:
    if actor.kind != "user":
        return actor.code
    row = conn.execute("SELECT name FROM users WHERE code = ?", (actor.code,)).fetchone()
    return str(row["name"]) if row else actor.code
