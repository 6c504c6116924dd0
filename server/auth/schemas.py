"""Login and user structs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from server.fields import Name

UserCode = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{1,32}\Z")]
Pin = Annotated[str, Meta(min_length=1, max_length=12)]
Badge = Annotated[str, Meta(min_length=4, max_length=64, pattern=r"^[\x21-\x7e]+\Z")]


class LoginRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """Log in with user code + PIN, or with a scanned badge (plus the PIN for managers)."""

    user_code: UserCode | None = None
    pin: Pin | None = None
    badge: Badge | None = None


Language = Literal["", "zh", "en"]
"""zh or en on every handheld the user logs in to; '' leaves it to the handheld's switch."""
TokenName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{1,64}\Z")]


class UserCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    code: UserCode
    name: Name
    roles: list[str]
    pin: Pin
    badge: Badge | None = None
    language: Language = ""


class PinReset(Struct, forbid_unknown_fields=True):
    """The new PIN, or none: the server makes one and answers it once."""

    pin: Pin | None = None


class BadgeSet(Struct, forbid_unknown_fields=True):
    badge: Badge


class LanguageChange(Struct, forbid_unknown_fields=True):
    language: Language


class TokenCreate(Struct, forbid_unknown_fields=True):
    name: TokenName
    kind: Literal["station", "oms"]


class RolesChange(Struct, forbid_unknown_fields=True):
    roles: list[str]


# -- answers -------------------------------------------------------------------------------


class LoginUser(Struct, kw_only=True):
    code: str
    name: str
    roles: list[str]
    language: str


class LoginAnswer(Struct, kw_only=True):
    """A new session: the bearer token (shown once) and whose it is."""

    token: str
    expires_at: str
    user: LoginUser


class LoggedOut(Struct, kw_only=True):
    logged_out: bool


class Me(Struct, kw_only=True):
    """Who a token belongs to."""

    kind: str
    code: str
    name: str
    roles: list[str]
    device: str
    language: str


class SessionView(Struct, kw_only=True):
    """One of the caller's open sessions; never its token."""

    id: str | None
    device: str
    address: str
    created_at: str
    last_used_at: str | None
    expires_at: str
    current: bool


class SessionEnded(Struct, kw_only=True):
    id: str
    ended: bool


class UserView(Struct, kw_only=True):
    """A user as an admin manages them: the badge only masked, never a credential."""

    code: str
    name: str
    roles: list[str]
    active: bool
    enabled: bool
    locked: bool
    failed_logins: int
    locked_until: str | None
    has_badge: bool
    badge: str | None
    language: str
    last_login_at: str | None


class UserAdded(Struct, kw_only=True):
    code: str
    name: str
    roles: list[str]
    active: bool
    language: str


class UserActive(Struct, kw_only=True):
    code: str
    active: bool


class PinWasReset(Struct, kw_only=True, omit_defaults=True):
    """A PIN reset; `pin` only when the server made it, and only in the first answer."""

    code: str
    pin_reset: bool
    pin: str | None = None


class UserUnlocked(Struct, kw_only=True):
    code: str
    unlocked: bool


class UserRoles(Struct, kw_only=True):
    code: str
    roles: list[str]


class UserBadge(Struct, kw_only=True):
    code: str
    badge: str | None


class UserLanguage(Struct, kw_only=True):
    code: str
    language: str


class TokenView(Struct, kw_only=True):
    """A station or OMS token as listed: never the token or its hash."""

    name: str
    kind: str
    created_at: str
    last_used_at: str | None


class TokenAdded(Struct, kw_only=True, omit_defaults=True):
    """A new token; the token itself only in the first answer (a replay answers without)."""

    name: str
    kind: str
    created_at: str
    token: str | None = None


class TokenRevoked(Struct, kw_only=True):
    name: str
    revoked: bool


class AuditLine(Struct, kw_only=True):
    """One audit line: a change, or a denied or refused attempt."""

    id: int
    at: str
    actor: str
    roles: str
    device: str
    action: str
    target: str
    outcome: str
    code: str
    details: dict[str, Any]
