"""Domain errors: each carries a stable code and an HTTP status.

Services raise these through the error registry (server/error_codes.py: `raise
ERR.LOCATION_NOT_FOUND(...)`), which gives each its code and message; one handler in app.py
turns them into the one JSON error shape
`{"error": {"code": ..., "message": ..., "details": {...}}}`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "BAD_REQUEST"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class InvalidInput(DomainError):
    status_code = 400
    code = "INVALID_INPUT"


class Unauthenticated(DomainError):
    status_code = 401
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    status_code = 403
    code = "FORBIDDEN"


class NotFound(DomainError):
    status_code = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status_code = 409
    code = "CONFLICT"


class Unprocessable(DomainError):
    """The request is well formed but the warehouse rules refuse it."""

    status_code = 422
    code = "REFUSED"


class ImportRejected(InvalidInput):
    """A file import with bad rows: nothing was imported; the details list every row."""

    code = "IMPORT_REJECTED"


class ReconciliationRejected(Unprocessable):
    """The OMS's stock lines had problems: nothing was stored; the details list them."""

    code = "RECONCILIATION_REJECTED"


class TooManyRequests(DomainError):
    """Come back later: the answer carries Retry-After (seconds)."""

    status_code = 429
    code = "TOO_MANY_REQUESTS"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        retry_after: int = 1,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after
