"""Optional HMAC signatures on what the OMS sends (when `BONDFLOOR_OMS_HMAC_SECRET` is set).

The OMS signs each request: `X-Timestamp` (Unix seconds) and
`X-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>`.
A request with an OMS token and no valid signature is refused before any route sees it
(`SIGNATURE_MISSING`, `SIGNATURE_INVALID`), and so is one whose timestamp is further than
`oms.max_clock_skew_seconds` from the server's clock (`SIGNATURE_EXPIRED`): a captured
request cannot be replayed later. OMS tokens are recognised by their `bf_oms_` prefix.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import msgspec
from litestar.types import (
    ASGIApp,
    HTTPResponseStartEvent,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from server import clock
from server.error_codes import ERR

OMS_TOKEN_PREFIX = "bf_oms_"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def check(
    secret: str, headers: dict[str, str], body: bytes, max_skew: float, now: float
) -> tuple[str, str] | None:
    """None when the signature holds, else (code, message)."""
    timestamp = headers.get("x-timestamp", "")
    given = headers.get("x-signature", "")
    if not timestamp or not given:
        return ERR.SIGNATURE_MISSING.code, ERR.SIGNATURE_MISSING.message()
    try:
        skew = abs(now - float(timestamp))
    except ValueError:
        return ERR.SIGNATURE_INVALID.code, ERR.SIGNATURE_INVALID.message(
            problem="X-Timestamp is Unix seconds"
        )
    if skew > max_skew:
        return ERR.SIGNATURE_EXPIRED.code, ERR.SIGNATURE_EXPIRED.message(
            skew=f"{skew:.0f}", max_skew=f"{max_skew:g}"
        )
    if not hmac.compare_digest(sign(secret, timestamp, body), given):
        return ERR.SIGNATURE_INVALID.code, ERR.SIGNATURE_INVALID.message(
            problem="the signature does not match the body"
        )
    return None


def oms_signature_middleware(secret: str, max_skew: float) -> Any:
    """An ASGI middleware factory; without a secret it passes everything through."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if not secret or scope["type"] != "http" or not _is_oms(scope):
                await app(scope, receive, send)
                return
            messages: list[ReceiveMessage] = []
            body = b""
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            refused = check(secret, headers, body, max_skew, clock.now().timestamp())
            if refused is not None:
                await _refuse(send, *refused)
                return

            async def replay() -> ReceiveMessage:
                return messages.pop(0) if messages else await receive()

            await app(scope, replay, send)

        return middleware

    return factory


def _is_oms(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key.lower() == b"authorization":
            return (
                value.decode(errors="replace")
                .partition(" ")[2]
                .strip()
                .startswith(OMS_TOKEN_PREFIX)
            )
    return False


async def _refuse(send: Send, code: str, message: str) -> None:
    body = msgspec.json.encode({"error": {"code": code, "message": message, "details": {}}})
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 401,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
