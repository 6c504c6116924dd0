"""The admin's routes beyond add, disable, roles and PINs (in routes.py): enable, badges,
languages and API tokens; and a user's own language choice."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from server.auth import service
from server.auth.schemas import BadgeSet, LanguageChange, TokenCreate
from server.commands import Actor, run_command
from server.db import Database
from server.web import FLOOR_ROLES, IdempotencyKey, allow

ADMIN = allow("admin")


@post(
    "/api/v1/users/{code:str}/enable",
    opt=ADMIN,
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def enable_user(
    code: FromPath[str],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Enable a disabled user: they can log in again."""
    return run_command(
        db,
        actor,
        "user.enable",
        idempotency_key,
        {"code": code},
        lambda conn, ctx: service.set_user_active(conn, ctx, code, active=True),
    ).value


@post(
    "/api/v1/users/{code:str}/badge",
    opt=ADMIN,
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def set_badge(
    code: FromPath[str],
    data: JSONBody[BadgeSet],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Give a user a badge for scan login (kept hashed; the answer shows it masked)."""
    # The badge stays out of the stored request fingerprint, as a PIN does.
    return run_command(
        db,
        actor,
        "user.set_badge",
        idempotency_key,
        {"code": code, "badge": service.mask_badge(data.badge)},
        lambda conn, ctx: service.set_badge(conn, ctx, code, data.badge),
    ).value


@post(
    "/api/v1/users/{code:str}/badge/clear",
    opt=ADMIN,
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def clear_badge(
    code: FromPath[str],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Take a user's badge away (a lost badge): it no longer logs anyone in."""
    return run_command(
        db,
        actor,
        "user.clear_badge",
        idempotency_key,
        {"code": code},
        lambda conn, ctx: service.set_badge(conn, ctx, code, None),
    ).value


@post(
    "/api/v1/users/{code:str}/language",
    opt=ADMIN,
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def set_language(
    code: FromPath[str],
    data: JSONBody[LanguageChange],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Set the language every handheld takes when this user logs in ('' = the handheld's)."""
    return run_command(
        db,
        actor,
        "user.set_language",
        idempotency_key,
        {"code": code, "language": data.language},
        lambda conn, ctx: service.set_user_language(conn, ctx, code, data.language),
    ).value


@post(
    "/api/v1/auth/me/language",
    opt=allow(FLOOR_ROLES),
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def set_own_language(
    data: JSONBody[LanguageChange],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Keep the language you chose on the switch for your next login on any handheld."""
    return run_command(
        db,
        actor,
        "user.set_own_language",
        idempotency_key,
        {"language": data.language},
        lambda conn, ctx: service.set_own_language(conn, ctx, data.language),
    ).value


@get("/api/v1/tokens", opt=ADMIN, sync_to_thread=True, tags=["auth"])
def list_tokens(db: NamedDependency[Database]) -> list[dict[str, Any]]:
    """Station and OMS tokens: name, kind, created, last used; never the token."""
    return db.read(service.list_api_tokens)


@post("/api/v1/tokens", opt=ADMIN, sync_to_thread=True, tags=["auth"])
def add_token(
    data: JSONBody[TokenCreate],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Make a station or OMS token; the answer shows it once (a replay answers without it)."""
    token = service.new_api_token(data.kind)
    result = run_command(
        db,
        actor,
        "token.add",
        idempotency_key,
        {"name": data.name, "kind": data.kind},
        lambda conn, ctx: service.register_api_token(conn, ctx, data.name, data.kind, token),
    )
    return result.value if result.replayed else {**result.value, "token": token}


@post(
    "/api/v1/tokens/{name:str}/revoke",
    opt=ADMIN,
    sync_to_thread=True,
    status_code=200,
    tags=["auth"],
)
def revoke_token(
    name: FromPath[str],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Revoke a token: it stops working at once."""
    return run_command(
        db,
        actor,
        "token.revoke",
        idempotency_key,
        {"name": name},
        lambda conn, ctx: service.revoke_api_token(conn, ctx, name),
    ).value


route_handlers = [
    enable_user,
    set_badge,
    clear_badge,
    set_language,
    set_own_language,
    list_tokens,
    add_token,
    revoke_token,
]
