"""Login, logout, who am I, users and the audit log (the admin's other routes: admin_routes)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from server import system_writes
from server.auth import admin_routes, service
from server.auth.schemas import LoginRequest, PinReset, RolesChange, UserCreate
from server.commands import Actor, run_command
from server.config import Settings
from server.db import Database
from server.error_codes import ERR
from server.web import FLOOR_ROLES, MANAGERS, PUBLIC, IdempotencyKey, allow


# Public, yet it refuses wrong credentials (401) and too many attempts (429).
@post(
    "/api/v1/auth/login",
    opt={**allow(PUBLIC), "errors": {401, 429}},
    sync_to_thread=True,
    tags=["auth"],
)
def login(
    data: JSONBody[LoginRequest],
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
) -> dict[str, Any]:
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
    return service.login(db, settings.auth, request.app.state.login_gate, attempt)


@get("/api/v1/auth/sessions", opt=allow(FLOOR_ROLES), sync_to_thread=True, tags=["auth"])
def list_sessions(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
) -> list[dict[str, Any]]:
    """Your open sessions (device, address, when opened and last used); never the tokens."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    return db.read(lambda conn: service.list_sessions(conn, settings.auth, actor.code, token))


@post(
    "/api/v1/auth/sessions/{session_id:str}/end",
    opt=allow(FLOOR_ROLES),
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def end_session(
    session_id: FromPath[str],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """End one of your own sessions, e.g. on a handheld left logged in."""
    return run_command(
        db,
        actor,
        "session.end",
        idempotency_key,
        {"session": session_id},
        lambda conn, ctx: service.end_own_session(conn, ctx, session_id),
    ).value


@post(
    "/api/v1/auth/logout",
    opt=allow(FLOOR_ROLES),
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def logout(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> dict[str, bool]:
    """End the session of the token this request carries."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    system_writes.end_session_of_token(db, token)
    return {"logged_out": True}


@get(
    "/api/v1/auth/me", opt=allow(FLOOR_ROLES, "station", "oms"), sync_to_thread=True, tags=["auth"]
)
def me(actor: NamedDependency[Actor], db: NamedDependency[Database]) -> dict[str, Any]:
    """Who the token belongs to: kind, code, name, roles and (users) language."""
    name, language = db.read(
        lambda conn: (service.display_name(conn, actor), service.user_language(conn, actor))
    )
    return {
        "kind": actor.kind,
        "code": actor.code,
        "name": name,
        "roles": sorted(actor.roles),
        "device": actor.device,
        "language": language,
    }


@get("/api/v1/users", opt=allow(MANAGERS), sync_to_thread=True, tags=["auth"])
def list_users(db: NamedDependency[Database]) -> list[dict[str, Any]]:
    """Every user: code, name, roles, enabled, locked, language, last login, masked badge."""
    return db.read(service.list_users)


@post("/api/v1/users", opt=allow("admin"), sync_to_thread=True, tags=["auth"])
def add_user(
    data: JSONBody[UserCreate],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Add a user with their roles, PIN and (optionally) badge."""
    # The PIN stays out of the stored request fingerprint: a hash of a short PIN is guessable.
    payload = {**msgspec.to_builtins(data), "pin": None}
    return run_command(
        db,
        actor,
        "user.add",
        idempotency_key,
        payload,
        lambda conn, ctx: service.add_user(
            conn,
            ctx,
            settings.auth,
            code=data.code,
            name=data.name,
            roles=data.roles,
            pin=data.pin,
            badge=data.badge,
            language=data.language,
        ),
    ).value


@post(
    "/api/v1/users/{code:str}/disable",
    opt=allow("admin"),
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def disable_user(
    code: FromPath[str],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Disable a user: they can no longer log in and their open sessions end."""
    return run_command(
        db,
        actor,
        "user.disable",
        idempotency_key,
        {"code": code},
        lambda conn, ctx: service.set_user_active(conn, ctx, code, active=False),
    ).value


@post(
    "/api/v1/users/{code:str}/reset-pin",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def reset_pin(
    code: FromPath[str],
    data: JSONBody[PinReset],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Set a user's new PIN, given or (no `pin`) made by the server and answered once; their
    open sessions end."""
    pin = data.pin or service.generate_pin(settings.auth)
    result = run_command(
        db,
        actor,
        "user.reset_pin",
        idempotency_key,
        {"code": code, "generated": data.pin is None},
        lambda conn, ctx: service.reset_pin(conn, ctx, settings.auth, code, pin),
    )
    if data.pin is None and not result.replayed:
        # Shown this once: the stored answer (for replays) never holds it.
        return {**result.value, "pin": pin}
    return result.value


@post(
    "/api/v1/users/{code:str}/unlock",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def unlock_user(
    code: FromPath[str],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Lift a user's lock after failed logins (a supervisor for floor users, an admin anyone)."""
    return run_command(
        db,
        actor,
        "user.unlock",
        idempotency_key,
        {"code": code},
        lambda conn, ctx: service.unlock_user(conn, ctx, code),
    ).value


@post(
    "/api/v1/users/{code:str}/roles",
    opt=allow("admin"),
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def set_roles(
    code: FromPath[str],
    data: JSONBody[RolesChange],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Give a user new roles; their open sessions end."""
    return run_command(
        db,
        actor,
        "user.set_roles",
        idempotency_key,
        {"code": code, "roles": data.roles},
        lambda conn, ctx: service.set_user_roles(conn, ctx, code, data.roles),
    ).value


@get("/api/v1/audit", opt=allow(MANAGERS), sync_to_thread=True, tags=["auth"])
def list_audit(
    db: NamedDependency[Database],
    outcome: Annotated[str | None, QueryParameter(pattern="^(ok|denied|refused)$")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The newest audit lines first: every change and every denied or refused attempt."""
    return db.read(lambda conn: service.list_audit(conn, outcome=outcome, limit=limit))


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
