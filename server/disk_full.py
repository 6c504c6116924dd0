"""A full or failing disk is a state of the site, not a bug in a request.

Writes then fail with SQLite's SQLITE_FULL ("database or disk is full") or SQLITE_IOERR
("disk I/O error"). Each such request answers 503 with a stable code and Retry-After (the
handheld keeps the change in its outbox and sends it again), and the log says so once per
burst with a count of what it left out: a traceback per request filled the rest of the disk.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from litestar import Request, Response

from server.error_codes import ERR
from server.web import error_response, handle_unexpected

log = logging.getLogger("bondfloor.storage")

SQLITE_IOERR = 10
SQLITE_FULL = 13
RETRY_AFTER_SECONDS = 30
LOG_EVERY_SECONDS = 60.0

STORAGE_CODES = {
    SQLITE_FULL: (ERR.DISK_FULL.code, ERR.DISK_FULL.message()),
    SQLITE_IOERR: (ERR.STORAGE_ERROR.code, ERR.STORAGE_ERROR.message()),
}


def storage_failure(exc: BaseException) -> tuple[str, str] | None:
    """(code, message) when `exc` is SQLite saying the disk is full or failing."""
    if not isinstance(exc, sqlite3.OperationalError):
        return None
    primary = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF  # extended codes keep it low
    return STORAGE_CODES.get(primary)


class BurstLog:
    """Log the first of a burst of the same failure, then at most once per `every_seconds`,
    saying how many were left out in between."""

    def __init__(
        self,
        logger: logging.Logger,
        every_seconds: float = LOG_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._every = every_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._left_out: dict[str, int] = {}

    def report(self, code: str, detail: str) -> None:
        now = self._clock()
        with self._lock:
            last = self._last.get(code)
            if last is not None and now - last < self._every:
                self._left_out[code] = self._left_out.get(code, 0) + 1
                return
            left_out = self._left_out.pop(code, 0)
            self._last[code] = now
        if last is None:
            self._log.error(
                "writes refused (%s): %s; more of these are counted and logged at most "
                "once every %.0f s",
                code,
                detail,
                self._every,
            )
        else:
            self._log.error(
                "writes refused (%s): %s; %d more in the last %.0f s were not logged",
                code,
                detail,
                left_out,
                now - last,
            )


_background = BurstLog(log)


def log_background_failure(logger: logging.Logger, what: str, err: BaseException) -> None:
    """A worker's or printer thread's failure: a full or failing disk once per burst (they
    try again every few seconds), anything else with its traceback."""
    failure = storage_failure(err)
    if failure is None:
        logger.error("%s", what, exc_info=err)
    else:
        _background.report(failure[0], f"{what}: {err}")


ExceptionHandlers = dict[
    int | type[Exception], Callable[[Request[Any, Any, Any], Any], Response[Any]]
]


def storage_error_handlers(burst_log: BurstLog | None = None) -> ExceptionHandlers:
    """The app's exception handler for SQLite's operational errors, with its own burst log."""
    reported = burst_log or BurstLog(log)

    def handle_operational_error(
        request: Request[Any, Any, Any], exc: sqlite3.OperationalError
    ) -> Response[Any]:
        """A full or failing disk answers 503; any other operational error is unexpected."""
        failure = storage_failure(exc)
        if failure is None:
            return handle_unexpected(request, exc)
        code, message = failure
        reported.report(code, f"{exc} ({getattr(exc, 'sqlite_errorname', '?')})")
        response = error_response(503, code, message, {"retry_after_seconds": RETRY_AFTER_SECONDS})
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    return {sqlite3.OperationalError: handle_operational_error}
