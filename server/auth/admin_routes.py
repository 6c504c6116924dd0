"""The admin's routes beyond add, disable, roles and PINs (in routes.py): enable, badges,
languages and API tokens; and a user's own language choice."""

from __future__ import annotations

import sqlite3

import msgspec
from litestar import get, post
from litestar.params import FromPath

from server.auth import service
from server.auth.schemas import (
    BadgeSet,
    LanguageChange,
    TokenAdded,
    TokenCreate,
    TokenRevoked,
    TokenView,
    UserActive,
    UserBadge,
    UserLanguage,
)
from server.commands import CommandContext
from server.declare import command, query
from server.web import FLOOR_ROLES, allow

ADMIN = allow("admin")
TAGS = ["auth"]


@command(
    post,
    "/api/v1/users/{code:str}/enable",
    name="user.enable",
    roles=ADMIN,
    answer=UserActive,
    tags=TAGS,
)
def enable_user(conn: sqlite3.Connection, ctx: CommandContext, code: FromPath[str]) -> UserActive:
    """Enable a disabled user: they can log in again."""
    return service.set_user_active(conn, ctx, code, active=True)


@command(
    post,
    "/api/v1/users/{code:str}/badge",
    name="user.set_badge",
    roles=ADMIN,
    payload=BadgeSet,
    answer=UserBadge,
    tags=TAGS,
    # The badge stays out of the stored request fingerprint, as a PIN does.
    secrets={"badge": service.mask_badge},
)
def set_badge(
    conn: sqlite3.Connection, ctx: CommandContext, code: FromPath[str], data: BadgeSet
) -> UserBadge:
    """Give a user a badge for scan login (kept hashed; the answer shows it masked)."""
    return service.set_badge(conn, ctx, code, data.badge)


@command(
    post,
    "/api/v1/users/{code:str}/badge/clear",
    name="user.clear_badge",
    roles=ADMIN,
    answer=UserBadge,
    tags=TAGS,
)
def clear_badge(conn: sqlite3.Connection, ctx: CommandContext, code: FromPath[str]) -> UserBadge:
    """Take a user's badge away (a lost badge): it no longer logs anyone in."""
    return service.set_badge(conn, ctx, code, None)


@command(
    post,
    "/api/v1/users/{code:str}/language",
    name="user.set_language",
    roles=ADMIN,
    payload=LanguageChange,
    answer=UserLanguage,
    tags=TAGS,
)
def set_language(
    conn: sqlite3.Connection, ctx: CommandContext, code: FromPath[str], data: LanguageChange
) -> UserLanguage:
    """Set the language every handheld takes when this user logs in ('' = the handheld's)."""
    return service.set_user_language(conn, ctx, code, data.language)


@command(
    post,
    "/api/v1/auth/me/language",
    name="user.set_own_language",
    roles=allow(FLOOR_ROLES),
    payload=LanguageChange,
    answer=UserLanguage,
    tags=TAGS,
)
def set_own_language(
    conn: sqlite3.Connection, ctx: CommandContext, data: LanguageChange
) -> UserLanguage:
    """Keep the language you chose on the switch for your next login on any handheld."""
    return service.set_own_language(conn, ctx, data.language)


@query(get, "/api/v1/tokens", roles=ADMIN, answer=list[TokenView], tags=TAGS)
def list_tokens(conn: sqlite3.Connection) -> list[TokenView]:
    """Station and OMS tokens: name, kind, created, last used; never the token."""
    return msgspec.convert(service.list_api_tokens(conn), list[TokenView])


@command(
    post,
    "/api/v1/tokens",
    name="token.add",
    roles=ADMIN,
    payload=TokenCreate,
    answer=TokenAdded,
    tags=TAGS,
    status_code=201,
    shown_once=("token",),
)
def add_token(conn: sqlite3.Connection, ctx: CommandContext, data: TokenCreate) -> TokenAdded:
    """Make a station or OMS token; the answer shows it once (a replay answers without it)."""
    token = service.new_api_token(data.kind)
    return service.register_api_token(conn, ctx, data.name, data.kind, token)


@command(
    post,
    "/api/v1/tokens/{name:str}/revoke",
    name="token.revoke",
    roles=ADMIN,
    answer=TokenRevoked,
    tags=TAGS,
)
def revoke_token(
    conn: sqlite3.Connection, ctx: CommandContext, name: FromPath[str]
) -> TokenRevoked:
    """Revoke a token: it stops working at once."""
    return service.revoke_api_token(conn, ctx, name)


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
