"""The station agent's HTTP link to the server: JSON over keep-alive connections.

One connection per thread (the scan forwarder, each printer, the heartbeat). A failure to
reach the server, a dropped connection or a timeout is `LinkDown`; any answer the server
gives, errors included, is an `Answer` for the caller to judge.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec


class LinkDown(Exception):
    """The server could not be reached or did not answer."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def error_code(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("code", ""))
        return ""


class ServerLink:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        device: str = "",
        timeout: float = 10.0,
        ca_file: str | None = None,
    ):
        """`ca_file`: the site CA (PEM) an HTTPS server's certificate is checked against;
        without it, the machine's trusted certificates."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a server URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "X-Device": device[:64],
        }
        self.timeout = timeout
        self._tls = ssl.create_default_context(cafile=ca_file) if self._https else None
        self._local = threading.local()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        data = None if body is None else msgspec.json.encode(body)
        for attempt in (1, 2):
            conn, reused = self._connection(timeout or self.timeout)
            try:
                conn.request(method, path, body=data, headers={**self._headers, **(headers or {})})
                response = conn.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException) as err:
                self._drop()
                if reused and attempt == 1:
                    continue  # a kept-alive connection the server closed: once more, fresh
                raise LinkDown(f"{self.base_url}: {type(err).__name__}: {err}") from err
            try:
                decoded = msgspec.json.decode(raw) if raw else None
            except msgspec.DecodeError:
                decoded = raw.decode(errors="replace")
            return Answer(response.status, decoded)
        raise AssertionError("unreachable")

    def _connection(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "timeout", None) == timeout:
            return conn, True
        self._drop()
        if self._tls is not None:
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=self._tls
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        self._local.conn, self._local.timeout = conn, timeout
        return conn, False

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None
