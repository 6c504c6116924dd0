"""The simulated OMS's door: takes event batches (JSON webhook, or Qimen-style XML calls),
stores them once by key, and misbehaves on demand.

- `POST /events` — a webhook batch `{"site", "events": [{"key", "seq", ...}]}`.
- `POST /qimen?method=...` — one Qimen-style call; its `outBizCode` is the key.
- `POST /sim/faults` — `{"mode": "ok|fail|stall|drop|refuse", "times": n, "seconds": s,
  "refuse_seqs": [..]}`: `fail` answers 500 and takes nothing; `stall` takes the batch and
  answers only after `seconds` (the floor has given up by then); `drop` takes it and cuts
  the connection without an answer; `refuse` answers 400 (Qimen: `<flag>failure</flag>`)
  for the next `times` calls, or for any batch holding one of `refuse_seqs`.
  `times` 0 means until told otherwise.
- `GET /sim/stats`, `GET /sim/events?stream=S&after=ID` — what was taken (in the order
  taken), the breaches and the rewinds (restores of the floor).

Events are taken once by key (`site:epoch:seq`). A key already taken that comes with
another payload is refused (409; Qimen: failure), not dropped: a new event the OMS threw
away as a repeat would be lost without anyone seeing it.
"""

from __future__ import annotations

import http.server
import logging
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec

from server.omssim.store import Incoming, SimStore

log = logging.getLogger("bondfloor.oms-sim")
MAX_BODY = 64 * 1024 * 1024
FAULT_MODES = ("ok", "fail", "stall", "drop", "refuse")


def parse_key(key: str) -> tuple[str, str, int]:
    """(site, epoch, seq) of an event key: `site:epoch:seq`, or `site:seq` from before
    epochs."""
    parts = key.split(":")
    if len(parts) == 2:
        return parts[0], "", int(parts[1])
    if len(parts) == 3 and parts[1]:
        return parts[0], parts[1], int(parts[2])
    raise ValueError(f"not an event key: {key!r}")


class FaultsIn(msgspec.Struct, forbid_unknown_fields=True):
    mode: str = "ok"
    times: int = 0
    seconds: float = 5.0
    refuse_seqs: list[int] = msgspec.field(default_factory=list)


@dataclass
class Faults:
    """What the next calls get; changed at any time through `/sim/faults`."""

    mode: str = "ok"
    times: int = 0  # calls left in this mode; 0 = no limit
    seconds: float = 5.0
    refuse_seqs: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def change(self, given: FaultsIn) -> None:
        if given.mode not in FAULT_MODES:
            raise ValueError(f"mode is one of {', '.join(FAULT_MODES)}")
        with self.lock:
            self.mode, self.times, self.seconds = given.mode, given.times, given.seconds
            self.refuse_seqs = set(given.refuse_seqs)

    def for_call(self, seqs: set[int]) -> tuple[str, float]:
        """The fault this call meets (and one use of it spent)."""
        with self.lock:
            if seqs & self.refuse_seqs:
                return "refuse", 0.0
            mode = self.mode
            if mode != "ok" and self.times:
                self.times -= 1
                if self.times == 0:
                    self.mode = "ok"
            return mode, self.seconds

    def view(self) -> dict[str, Any]:
        with self.lock:
            return {
                "mode": self.mode,
                "times": self.times,
                "seconds": self.seconds,
                "refuse_seqs": sorted(self.refuse_seqs),
            }


class Receiver:
    """An HTTP server on its own thread; `stop()` ends it."""

    def __init__(self, store: SimStore, host: str, port: int, token: str = "") -> None:
        self.store = store
        self.faults = Faults()
        self.token = token
        self.calls = 0
        self._server = http.server.ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/health":
                    self._json(200, {"ok": True})
                elif url.path == "/sim/stats":
                    self._json(200, {**receiver.store.stats(), "faults": receiver.faults.view()})
                elif url.path == "/sim/events":
                    self._json(
                        200,
                        receiver.store.events(
                            query.get("stream", ""),
                            int(query.get("after", "0")),
                            int(query.get("limit", "1000")),
                        ),
                    )
                else:
                    self._json(404, {"error": "no such path"})

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._json(413, {"error": "too large"})
                    return
                body = self.rfile.read(length)
                if url.path == "/sim/faults":
                    self._set_faults(body)
                    return
                if receiver.token and self.headers.get("Authorization") != (
                    f"Bearer {receiver.token}"
                ):
                    self._json(401, {"error": "unknown token"})
                    return
                if url.path == "/events":
                    self._webhook(body)
                elif url.path == "/qimen":
                    self._qimen(parse_qs(url.query).get("method", [""])[0], body)
                else:
                    self._json(404, {"error": "no such path"})

            def _set_faults(self, body: bytes) -> None:
                try:
                    receiver.faults.change(msgspec.json.decode(body, type=FaultsIn))
                except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as err:
                    self._json(400, {"error": str(err)})
                    return
                log.info("faults now %s", receiver.faults.view())
                self._json(200, receiver.faults.view())

            def _webhook(self, body: bytes) -> None:
                try:
                    batch = msgspec.json.decode(body)
                    events = [
                        Incoming(
                            stream=batch["site"],
                            seq=int(e["seq"]),
                            epoch=str(e.get("epoch", "")),
                            key=str(e["key"]),
                            type=str(e["type"]),
                            version=int(e["version"]),
                            at=str(e["at"]),
                            payload=msgspec.json.encode(e["payload"]).decode(),
                        )
                        for e in batch["events"]
                    ]
                except (msgspec.DecodeError, KeyError, TypeError, ValueError) as err:
                    self._json(400, {"error": f"not an event batch: {err}"})
                    return
                self._take(
                    events,
                    contiguous=True,
                    refused=(400, b'{"error": "refused"}'),
                    changed=(409, b'{"error": "a key already taken, with another payload"}'),
                )

            def _qimen(self, method: str, body: bytes) -> None:
                try:
                    root = ET.fromstring(body)
                    # The event's own code comes first; an entry order's lines add `:line`.
                    key = next((n.text or "" for n in root.iter("outBizCode")), "")
                    stream, epoch, seq = parse_key(key)
                    events = [
                        Incoming(
                            stream=stream,
                            seq=seq,
                            epoch=epoch,
                            key=key,
                            type=method,
                            version=1,
                            at="",
                            payload=msgspec.json.encode(body.decode()).decode(),
                        )
                    ]
                except (ET.ParseError, ValueError) as err:
                    self._xml(
                        f"<response><flag>failure</flag><code>400</code><message>{err}</message></response>"
                    )
                    return
                failure = b"<response><flag>failure</flag><code>REFUSED</code><message>refused</message></response>"
                changed = (
                    b"<response><flag>failure</flag><code>CHANGED_REPEAT</code>"
                    b"<message>outBizCode already taken, with another body</message></response>"
                )
                self._take(
                    events,
                    contiguous=False,
                    refused=(200, failure),
                    changed=(200, changed),
                    xml=True,
                )

            def _take(
                self,
                events: list[Incoming],
                *,
                contiguous: bool,
                refused: tuple[int, bytes],
                changed: tuple[int, bytes],
                xml: bool = False,
            ) -> None:
                receiver.calls += 1
                mode, seconds = receiver.faults.for_call({e.seq for e in events})
                if mode == "fail":
                    self._send(500, b'{"error": "simulated failure"}')
                    return
                if mode == "refuse":
                    self._send(*refused, xml=xml)
                    return
                counts = receiver.store.take(events, contiguous=contiguous)
                if counts["changed"]:
                    self._send(*changed, xml=xml)
                    return
                if mode == "stall":
                    time.sleep(seconds)
                if mode == "drop":
                    # Taken, but the answer never comes: the floor must send it again.
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if xml:
                    self._xml(
                        "<response><flag>success</flag><code>0</code><message>ok</message></response>"
                    )
                else:
                    self._json(200, {"ok": True, **counts})

            def _json(self, status: int, value: Any) -> None:
                self._send(status, msgspec.json.encode(value))

            def _xml(self, text: str) -> None:
                self._send(200, text.encode(), xml=True)

            def _send(self, status: int, body: bytes, *, xml: bool = False) -> None:
                try:
                    self.send_response(status)
                    kind = "text/xml" if xml else "application/json"
                    self.send_header("Content-Type", f"{kind}; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    self.close_connection = True  # the floor gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                log.debug(format, *args)

        return Handler
