"""The handheld's app shell: the files its service worker keeps for offline use, one version
naming them all, and long-lived caching for the URLs that carry a file's own version.

Nobody keeps a file list by hand: the shell is every file under handheld_web/ except the
worker itself and the notes. The version is a hash of the package version and every shell
file's path and content, so any change to any shipped file makes a new version, a new
worker script and with it a clean update on every handheld. It is recomputed only when a
file's size or modification time changes (one `stat` per file per request for `/sw.js`).

The worker fetches each file as `path?v=<the file's content hash>`, answered with a year of
caching: after an upgrade the files that did not change come from the HTTP cache, and only
the changed ones cross the network.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get

from server import __version__
from server.web import PUBLIC, allow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from litestar.handlers import HTTPRouteHandler
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    AfterHook = Callable[[ASGIApp], Awaitable[ASGIApp]]

WORKER_SOURCE = "sw.js"
# Served as `/sw.js` by `service_worker`, never precached; the notes are not for the pages.
NOT_IN_SHELL = frozenset({WORKER_SOURCE, "README.md"})
# Large files a page loads only on a user's action (the camera's barcode decoder: about
# 430 KB gzipped): the worker keeps them once they are first used, not at install, so a
# handheld's first visit over a weak Wi-Fi does not pull them in the background.
ON_DEMAND_PREFIXES = ("vendor/",)
VERSION_PARAMETER = "v"
# A URL with the current version names bytes that never change: a year, and no revalidation.
IMMUTABLE = b"public, max-age=31536000, immutable"


class AppShell:
    """The shell files under `root` and their version, kept current as files change."""

    def __init__(self, root: Path, package_version: str = __version__) -> None:
        self.root = root
        self.package_version = package_version
        self._lock = threading.Lock()
        self._seen: tuple[tuple[str, int, int], ...] | None = None
        self._version = ""
        self._hashes: dict[str, str] = {}

    def _stat(self) -> tuple[tuple[str, int, int], ...]:
        found = []
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root).as_posix()
            if not path.is_file() or relative in NOT_IN_SHELL or relative.startswith("."):
                continue
            info = path.stat()
            found.append((relative, info.st_mtime_ns, info.st_size))
        return tuple(found)

    def current(self) -> tuple[str, dict[str, str]]:
        """(version, {file: its content hash}), files as paths relative to the site root."""
        seen = self._stat()
        with self._lock:
            if seen != self._seen:
                digest = hashlib.sha256(self.package_version.encode())
                hashes = {}
                for relative, _, _ in seen:
                    content = hashlib.sha256((self.root / relative).read_bytes()).hexdigest()
                    hashes[relative] = content[:16]
                    digest.update(f"\0{relative}\0{content}".encode())
                self._version = f"{self.package_version}-{digest.hexdigest()[:16]}"
                self._hashes = hashes
                self._seen = seen
            return self._version, dict(self._hashes)

    def version(self) -> str:
        return self.current()[0]

    def file_version(self, relative: str) -> str | None:
        """The content hash a URL of `relative` carries, None if it is no shell file."""
        return self.current()[1].get(relative)

    def worker_script(self) -> str:
        """The service worker: its shell (version, files it installs, files it keeps when
        first used) in front of its source."""
        version, hashes = self.current()
        files = {f: h for f, h in hashes.items() if not f.startswith(ON_DEMAND_PREFIXES)}
        on_demand = {f: h for f, h in hashes.items() if f.startswith(ON_DEMAND_PREFIXES)}
        shell = json.dumps(
            {"version": version, "files": files, "on_demand": on_demand}, ensure_ascii=False
        )
        source = (self.root / WORKER_SOURCE).read_text(encoding="utf-8")
        return f"self.SHELL = {shell};\n{source}"


def service_worker_route(shell: AppShell) -> HTTPRouteHandler:
    """`GET /sw.js`: the worker with the shell version it installs. The browser asks for it
    on every navigation (bypassing its HTTP cache), so it is small, and a 304 when unchanged."""

    @get(
        "/sw.js",
        opt=allow(PUBLIC),
        sync_to_thread=True,
        include_in_schema=False,
        name="service-worker",
    )
    def service_worker(request: Request[Any, Any, Any]) -> Response[str]:
        script = shell.worker_script()
        etag = f'W/"{hashlib.sha256(script.encode()).hexdigest()[:32]}"'
        wanted = request.headers.get("if-none-match", "")
        cache = {"Cache-Control": "no-cache", "ETag": etag}
        if etag.removeprefix("W/") in {tag.strip().removeprefix("W/") for tag in wanted.split(",")}:
            return Response(content="", status_code=304, headers=cache)
        return Response(content=script, media_type="text/javascript; charset=utf-8", headers=cache)

    return service_worker


def _query_version(scope: Scope) -> str | None:
    for pair in scope.get("query_string", b"").decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        if name == VERSION_PARAMETER:
            return value
    return None


def long_lived_when_versioned(shell: AppShell, inner: AfterHook) -> AfterHook:
    """After-request hook of the handheld files: a URL carrying its file's current content
    hash (`?v=…`, what the service worker precaches) is cached for a year, immutable; any
    other URL keeps `no-cache` and its revalidation by `inner` (the 304 hook). An old hash's
    URL is answered with today's bytes, so it must not be kept as if they were the old."""

    async def hook(response: ASGIApp) -> ASGIApp:
        revalidated = await inner(response)

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            versioned = _query_version(scope)
            relative = scope["path"].lstrip("/")
            if versioned is None or versioned != shell.file_version(relative):
                await revalidated(scope, receive, send)
                return

            async def send_long_lived(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [
                        (name, IMMUTABLE if name.lower() == b"cache-control" else value)
                        for name, value in message.get("headers") or []
                    ]
                await send(message)

            await revalidated(scope, receive, send_long_lived)

        return answer

    return hook
