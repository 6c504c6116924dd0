"""What a handheld downloads: gzip for text answers, 304 for files it already has.

Compression is Litestar's gzip middleware, limited to text (pages, scripts, styles, JSON,
CSV) and the camera decoder's WebAssembly (946 KB, 411 KB gzipped): face-sheet PNGs are
already compressed and would only cost CPU. The handheld files are sent with
`Cache-Control: no-cache`, so a handheld revalidates every file on every page change;
Litestar's static files send an ETag and Last-Modified but never answer the conditional
request, so `not_modified_when_unchanged` does. (With the service worker the pages come
from its cache instead, and its `?v=` URLs are kept a year: server/app_shell.py.)
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal

from litestar.config.compression import CompressionConfig
from litestar.datastructures import Headers
from litestar.enums import CompressionEncoding
from litestar.middleware.compression import CompressionMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

# Below this an answer gains little from gzip (headers and framing dominate).
MINIMUM_COMPRESSED_BYTES = 512
# Level 6 is gzip's default: nearly level 9's size at a fraction of its CPU.
GZIP_LEVEL = 6

_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "image/svg+xml",
    "application/wasm",
)
# Headers a 304 repeats from the 200 it stands for (RFC 9110 15.4.5); the body's own
# (length, type, disposition) are left out.
_KEPT_ON_304 = {b"etag", b"last-modified", b"cache-control", b"vary", b"date", b"expires"}


def _is_text(message: HTTPResponseStartEvent) -> bool:
    headers = Headers(message["headers"])
    if "content-encoding" in headers:
        return False
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type.startswith(_TEXT_TYPES) or media_type.endswith("+json")


class TextCompression(CompressionMiddleware):
    """Litestar's compression, for text answers only; others pass through untouched."""

    def create_compression_send_wrapper(
        self,
        send: Send,
        compression_encoding: Literal[CompressionEncoding.BROTLI, CompressionEncoding.GZIP] | str,
        scope: Scope,
    ) -> Send:
        compressing = super().create_compression_send_wrapper(send, compression_encoding, scope)
        target = compressing

        async def send_text_compressed(message: Message) -> None:
            nonlocal target
            if message["type"] == "http.response.start":
                target = compressing if _is_text(message) else send
            await target(message)

        return send_text_compressed


def compression_config() -> CompressionConfig:
    return CompressionConfig(
        backend="gzip",
        minimum_size=MINIMUM_COMPRESSED_BYTES,
        gzip_compress_level=GZIP_LEVEL,
        middleware_class=TextCompression,
    )


def _weak(etag: str) -> str:
    return etag if etag.startswith("W/") else f"W/{etag}"


def _unchanged(request: Headers, answer: Headers) -> bool:
    """RFC 9110 13.1.2/13.1.3: If-None-Match (weak comparison) wins over If-Modified-Since."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        etag = answer.get("etag")
        if etag is None:
            return False
        wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in wanted or etag.removeprefix("W/") in wanted
    if_modified_since = request.get("if-modified-since")
    last_modified = answer.get("last-modified")
    if if_modified_since is None or last_modified is None:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is no condition


async def not_modified_when_unchanged(response: ASGIApp) -> ASGIApp:
    """After-request hook of the handheld files: 304 and no body when the handheld's copy is
    current. The ETag is made weak because the same validator names the gzip and the plain
    bytes of a file (RFC 9110 8.8.1). Runs inside the compression middleware, so a 304 is
    never compressed, and inside the before-send hook, so it keeps the security headers."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        conditions = Headers.from_scope(scope)
        not_modified = False

        async def send_304_when_unchanged(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start":
                headers = [
                    (name, _weak(value.decode("latin-1")).encode("latin-1"))
                    if name.lower() == b"etag"
                    else (name, value)
                    for name, value in message.get("headers") or []
                ]
                message["headers"] = headers
                if message["status"] == 200 and _unchanged(conditions, Headers(headers)):
                    not_modified = True
                    kept = [(n, v) for n, v in headers if n.lower() in _KEPT_ON_304]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
            elif not_modified:
                return  # the file's bytes the handheld already has
            await send(message)

        await response(scope, receive, send_304_when_unchanged)

    return answer
