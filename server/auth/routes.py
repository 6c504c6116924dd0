"""Login, logout, who am I, users and the audit log (the admin's other routes: admin_routes)."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from server import system_writes
from server.auth import admin_routes, service
from server.auth.schemas import (
    AuditLine,
    LoggedOut,
    LoginAnswer,
    LoginRequest,
    Me,
    PinReset,
    PinWasReset,
    RolesChange,
    SessionEnded,
    SessionView,
    UserActive,
    UserAdded,
    UserCreate,
    UserRoles,
    UserUnlocked,
    UserView,
)
from server.commands import Actor, CommandContext
from server.config import Settings
from server.declare import bookkeeping, command, query
from server.error_codes import ERR
from server.system_writes import Books
from server.web import FLOOR_ROLES, MANAGERS, PUBLIC, allow

TAGS = ["auth"]
ADMIN = allow("admin")


# Public, yet it refuses wrong credentials (401) and too many attempts (429).
@bookkeeping(
    post,
    "/api/v1/auth/login",
    roles=allow(PUBLIC),
    opt={"errors": {401, 429}},
    payload=LoginRequest,
    answer=LoginAnswer,
    tags=TAGS,
    status_code=201,
)
def login(
    books: Books,
    data: LoginRequest,
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
) -> LoginAnswer:
    """Open a session with user code + PIN, a badge scan, or (managers) a badge + PIN.

    Too many attempts from one address or for one user, or too many logins at once,
    answer 429 LOGIN_THROTTLED with Retry-After."""
    if not data.badge and not (data.user_code and data.pin):
        raise ERR.LOGIN_INCOMPLETE()
    attempt = service.LoginAttempt(
        device=request.headers.get("x-device", "")[:64],
        address=request.client.host if request.client else "",
        user_code=None if data.badge else data.user_code,
        pin=data.pin,
        badge=data.badge,
    )
    return books.record(service.login, settings.auth, request.app.state.login_gate, attempt)


def bearer_token(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("authorization", "").partition(" ")[2].strip()


@query(get, "/api/v1/auth/sessions", roles=allow(FLOOR_ROLES), answer=list[SessionView], tags=TAGS)
def list_sessions(
    conn: sqlite3.Connection,
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
) -> list[SessionView]:
    """Your open sessions (device, address, when opened and last used); never the tokens."""
    return service.list_sessions(conn, settings.auth, actor.code, bearer_token(request))


@command(
    post,
    "/api/v1/auth/sessions/{session_id:str}/end",
    name="session.end",
    roles=allow(FLOOR_ROLES),
    answer=SessionEnded,
    tags=TAGS,
)
def end_session(
    conn: sqlite3.Connection, ctx: CommandContext, session_id: FromPath[str]
) -> SessionEnded:
    """End one of your own sessions, e.g. on a handheld left logged in."""
    return service.end_own_session(conn, ctx, session_id)


@bookkeeping(post, "/api/v1/auth/logout", roles=allow(FLOOR_ROLES), answer=LoggedOut, tags=TAGS)
def logout(books: Books, request: Request[Any, Any, Any]) -> LoggedOut:
    """End the session of the token this request carries."""
    books.record(system_writes.end_session_of_token, bearer_token(request))
    return LoggedOut(logged_out=True)


@query(get, "/api/v1/auth/me", roles=allow(FLOOR_ROLES, "station", "oms"), answer=Me, tags=TAGS)
def me(conn: sqlite3.Connection, actor: NamedDependency[Actor]) -> Me:
    """Who the token belongs to: kind, code, name, roles and (users) language."""
    return Me(
        kind=actor.kind,
        code=actor.code,
        name=service.display_name(conn, actor),
        roles=sorted(actor.roles),
        device=actor.device,
        language=service.user_language(conn, actor),
    )


@query(get, "/api/v1/users", roles=allow(MANAGERS), answer=list[UserView], tags=TAGS)
def list_users(conn: sqlite3.Connection) -> list[UserView]:
    """Every user: code, name, roles, enabled, locked, language, last login, masked badge."""
    return msgspec.convert(service.list_users(conn), list[UserView])


def _keep_badge_masked(badge: str | None) -> str | None:
    return None if badge is None else service.mask_badge(badge)


@command(
    post,
    "/api/v1/users",
    name="user.add",
    roles=ADMIN,
    payload=UserCreate,
    answer=UserAdded,
    tags=TAGS,
    status_code=201,
    # A hash of a short PIN is guessable, so the PIN never enters the stored fingerprint
    # (it stands there as null, as before routes were declared); the badge only masked.
    secrets={"pin": lambda _pin: None, "badge": _keep_badge_masked},
)
def add_user(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: UserCreate,
    settings: NamedDependency[Settings],
) -> UserAdded:
    """Add a user with their roles, PIN and (optionally) badge."""
    return service.add_user(
        conn,
        ctx,
        settings.auth,
        code=data.code,
        name=data.name,
        roles=data.roles,
        pin=data.pin,
        badge=data.badge,
        language=data.language,
    )


@command(
    post,
    "/api/v1/users/{code:str}/disable",
    name="user.disable",
    roles=ADMIN,
    answer=UserActive,
    tags=TAGS,
)
def disable_user(conn: sqlite3.Connection, ctx: CommandContext, code: FromPath[str]) -> UserActive:
    """Disable a user: they can no longer log in and their open sessions end."""
    return service.set_user_active(conn, ctx, code, active=False)


@command(
    post,
    "/api/v1/users/{code:str}/reset-pin",
    name="user.reset_pin",
    roles=allow(MANAGERS),
    payload=PinReset,
    answer=PinWasReset,
    tags=TAGS,
    # The fingerprint says whether a PIN was given, never the PIN.
    secrets={"pin": lambda pin: "given" if pin else "generated"},
    shown_once=("pin",),
)
def reset_pin(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    code: FromPath[str],
    data: PinReset,
    settings: NamedDependency[Settings],
) -> PinWasReset:
    """Set a user's new PIN, given or (no `pin`) made by the server and answered once; their
    open sessions end."""
    return service.reset_pin(conn, ctx, settings.auth, code, data.pin)


@command(
    post,
    "/api/v1/users/{code:str}/unlock",
    name="user.unlock",
    roles=allow(MANAGERS),
    answer=UserUnlocked,
    tags=TAGS,
)
def unlock_user(conn: sqlite3.Connection, ctx: CommandContext, code: FromPath[str]) -> UserUnlocked:
    """Lift a user's lock after failed logins (a supervisor for floor users, an admin anyone)."""
    return service.unlock_user(conn, ctx, code)


@command(
    post,
    "/api/v1/users/{code:str}/roles",
    name="user.set_roles",
    roles=ADMIN,
    payload=RolesChange,
    answer=UserRoles,
    tags=TAGS,
)
def set_roles(
    conn: sqlite3.Connection, ctx: CommandContext, code: FromPath[str], data: RolesChange
) -> UserRoles:
    """Give a user new roles; their open sessions end."""
    return service.set_user_roles(conn, ctx, code, data.roles)


@query(get, "/api/v1/audit", roles=allow(MANAGERS), answer=list[AuditLine], tags=TAGS)
def list_audit(
    conn: sqlite3.Connection,
    outcome: Annotated[str | None, QueryParameter(pattern="^(ok|denied|refused)$")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[AuditLine]:
    """The newest audit lines first: every change and every denied or refused attempt."""
    return service.list_audit(conn, outcome=outcome, limit=limit)


route_handlers = [
    login,
    logout,
    me,
    list_sessions,
    end_session,
    list_users,
    add_user,
    disable_user,
    reset_pin,
    unlock_user,
    set_roles,
    list_audit,
    *admin_routes.route_handlers,
]
