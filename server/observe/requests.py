"""Every HTTP request once: counted and timed for /metrics, and written to the access log.

It wraps the app's whole ASGI handler, outside routing, so a 404 or 405 is seen too (route
`<unmatched>`). The access log names who asked (user or token name, device) and never
a header, body or query: tokens, PINs and badge values stay out of the log.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.observe.metrics import SCAN_ROUTES, FloorMetrics

access_log = logging.getLogger("bondfloor.access")
UNMATCHED = "<unmatched>"
MAX_ERROR_BODY = 16_384


class RequestObserver:
    """ASGI wrapper: metrics and the access log for each HTTP request."""

    def __init__(self, app: ASGIApp, metrics: FloorMetrics, *, access: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = _Answer()

        async def observed_send(message: Message) -> None:
            answer.see(message)
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            self._record(scope, answer, time.perf_counter() - started)

    def _record(self, scope: Scope, answer: _Answer, seconds: float) -> None:
        method = str(scope.get("method", ""))
        route = scope.get("path_template") or UNMATCHED
        status = answer.status or 500  # no answer started: the client went or the app failed
        count, timing = self.metrics.request_series(method, route, status)
        count.inc()
        timing.observe(seconds)
        flow = SCAN_ROUTES.get((method, route))
        if flow is not None:
            if status < 400:
                self.metrics.scans.labels(flow, "ok", "").inc()
            else:
                self.metrics.scans.labels(flow, "refused", answer.error_code()).inc()
        if self.access and access_log.isEnabledFor(logging.INFO):
            _log_access(scope, method, route, status, seconds)


def _log_access(scope: Scope, method: str, route: str, status: int, seconds: float) -> None:
    actor = (scope.get("state") or {}).get("actor")
    user = actor.label if actor is not None and actor.kind != "anonymous" else "-"
    device = _header(scope, b"x-device")[:64] or "-"
    duration_ms = round(seconds * 1000, 1)
    # The record is made and handed on directly: `Logger.info` would also walk the stack to
    # name the calling line, which the access log never shows (about a fifth of its cost).
    record = access_log.makeRecord(
        access_log.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %d %.1fms device=%s user=%s",
        (method, route, status, duration_ms, device, user),
        None,
        extra={
            "method": method,
            "route": route,
            # The path without its query: ids only; a query may carry a scanned value.
            "path": scope.get("path", ""),
            "status": status,
            "duration_ms": duration_ms,
            "device": device,
            "user": user,
        },
    )
    access_log.handle(record)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class _Answer:
    """What the app sent: its status, and an error answer's body to find the code."""

    def __init__(self) -> None:
        self.status = 0
        self._gzip = False
        self._body = bytearray()

    def see(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self._gzip = any(
                k == b"content-encoding" and v == b"gzip" for k, v in message.get("headers", ())
            )
        elif (
            message["type"] == "http.response.body"
            and self.status >= 400
            and len(self._body) < MAX_ERROR_BODY
        ):
            self._body += message.get("body", b"")

    def error_code(self) -> str:
        """The `error.code` of the one JSON error shape, or `UNKNOWN`."""
        try:
            body = gzip.decompress(self._body) if self._gzip else bytes(self._body)
            code: Any = json.loads(body)["error"]["code"]
        except (ValueError, KeyError, TypeError, OSError, EOFError):
            return "UNKNOWN"
        return code if isinstance(code, str) and code.isupper() else "UNKNOWN"
