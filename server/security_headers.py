"""Browser hardening headers on every answer: pages, static files, API answers and errors.

The handheld pages are plain HTML with ES modules from this server and no inline script or
style, so the policy can allow our own origin only. Preview images are blob: URLs. The
service worker (`/sw.js`) and the web app manifest are our own files: `worker-src` and
`manifest-src` name them outright rather than through the `default-src` fallback. The
camera scan's barcode decoder is WebAssembly, which needs 'wasm-unsafe-eval' (it allows
compiling wasm only: JavaScript eval stays refused). Set in a before-send hook of the app,
which sees every response start, also those Litestar makes itself (404, 405, errors before
routing).
"""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Before-send hook: add the headers to the start of every HTTP answer."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
    message["headers"] = headers
