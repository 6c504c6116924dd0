"""Login and user structs."""

from __future__ import annotations

from typing import Annotated

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


class UserCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    code: UserCode
    name: Name
    roles: list[str]
    pin: Pin
    badge: Badge | None = None


class PinReset(Struct, forbid_unknown_fields=True):
    pin: Pin


class RolesChange(Struct, forbid_unknown_fields=True):
    roles: list[str]
