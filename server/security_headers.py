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


# A script, style sheet, image, font or WebAssembly file is no document: a policy, framing
# or referrer header on it does nothing (the page's own govern), yet it went with each of
# the dozen files a page loads (about 4 KB of its cold load). `nosniff` does matter there.
# The service worker's script is a worker, whose policy is its own answer's: it keeps them.
_SUBRESOURCE_TYPES = (
    b"text/css",
    b"text/javascript",
    b"application/javascript",
    b"application/wasm",
    b"image/",
    b"font/",
)
_SUBRESOURCE_HEADERS = tuple(h for h in SECURITY_HEADERS if h[0] == b"x-content-type-options")
WORKER_PATH = "/sw.js"


def _is_subresource(headers: list[tuple[bytes, bytes]], scope: Scope) -> bool:
    if scope.get("path") == WORKER_PATH:
        return False
    media_type = next((v for n, v in headers if n.lower() == b"content-type"), b"").lower()
    return media_type.startswith(_SUBRESOURCE_TYPES)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Before-send hook: add the headers to the start of every HTTP answer (only `nosniff`
    to a script, style sheet or image: the others apply to documents and workers)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    wanted = _SUBRESOURCE_HEADERS if _is_subresource(headers, scope) else SECURITY_HEADERS
    headers.extend(h for h in wanted if h[0] not in present)
    message["headers"] = headers
