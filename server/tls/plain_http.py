"""The plain HTTP listener beside HTTPS: it only redirects to HTTPS, except for what a new
handheld needs before it trusts the site: the CA file, the CA page and that page's files.

A small stdlib server on a thread of the serving process: it holds no state, touches no
database, and needs none of the app (PINs and tokens never reach it: every API path is
redirected before a body is read).
"""

from __future__ import annotations

import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from server.config import Settings
from server.security_headers import SECURITY_HEADERS
from server.tls.ca_page import CA_CONTENT_TYPE, ca_download_url, ca_file_name, ca_info, qr_svg
from server.tls.service import ca_certificate_pem

# The CA page and the files it loads; everything else on plain HTTP is a redirect.
PAGE_FILES = ("ca.html",)
PAGE_FOLDERS = ("css/", "js/", "icons/")


class PlainHttpHandler(BaseHTTPRequestHandler):
    settings: ClassVar[Settings]
    web_root: ClassVar[Path]
    https_port: ClassVar[int]
    server_version = "bondfloor"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def do_POST(self) -> None:
        self._redirect(308)

    do_PUT = do_PATCH = do_DELETE = do_POST

    def _answer(self, *, with_body: bool) -> None:
        path = urlsplit(self.path).path
        host = self.headers.get("host", "")
        if path == "/ca.crt":
            pem = ca_certificate_pem(self.settings.tls)
            if pem is None:
                self._redirect(301)
                return
            self._send(
                200,
                CA_CONTENT_TYPE,
                pem,
                with_body,
                [("content-disposition", f'attachment; filename="{ca_file_name(self.settings)}"')],
            )
        elif path == "/ca-qr.svg":
            url = ca_download_url(self.settings, host)
            self._send(200, "image/svg+xml", qr_svg(url), with_body)
        elif path == "/api/v1/tls/ca":
            body = json.dumps(ca_info(self.settings, host, self._https_url("/"))).encode()
            self._send(200, "application/json", body, with_body)
        elif (file := self._page_file(path)) is not None:
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if file.suffix == ".js":
                kind = "text/javascript"
            self._send(200, kind, file.read_bytes(), with_body, [("cache-control", "no-cache")])
        else:
            self._redirect(301)

    def _page_file(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if relative not in PAGE_FILES and not relative.startswith(PAGE_FOLDERS):
            return None
        file = (self.web_root / relative).resolve()
        if not file.is_relative_to(self.web_root) or not file.is_file():
            return None
        return file

    def _https_url(self, path: str) -> str:
        """The same host name the reader used, on the HTTPS port."""
        hostname = urlsplit(f"//{self.headers.get('host', '')}").hostname or "localhost"
        if ":" in hostname:
            hostname = f"[{hostname}]"
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{hostname}{port}{path if path.startswith('/') else '/'}"

    def _redirect(self, status: int) -> None:
        location = self._https_url(self.path)
        self._send(status, "text/plain; charset=utf-8", b"", True, [("location", location)])

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        with_body: bool,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in [
            *(extra or []),
            *((n.decode(), v.decode()) for n, v in SECURITY_HEADERS),
        ]:
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a redirect per handheld per page is no news."""


def start_plain_http(
    settings: Settings, host: str, https_port: int, web_root: Path
) -> ThreadingHTTPServer:
    """Listen on tls.redirect_port in a daemon thread (it ends with the serving process)."""
    handler = type(
        "SitePlainHttpHandler",
        (PlainHttpHandler,),
        {"settings": settings, "web_root": web_root.resolve(), "https_port": https_port},
    )
    server = ThreadingHTTPServer((host, settings.tls.redirect_port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="plain-http", daemon=True).start()
    return server
