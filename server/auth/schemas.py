"""Login and user structs."""

from __future__ import annotations

from typing import Annotated, Literal

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
