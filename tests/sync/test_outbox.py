"""Delivery of the events journal to an OMS on loopback: in order, at least once, the
cursor moved only by an acknowledgement, passing trouble retried with backoff, a refused
event stopping delivery where a supervisor sees it."""

from __future__ import annotations

import http.server
import itertools
import re
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec
import pytest

from server import clock
from server.clock import ManualClock
from server.commands import SYSTEM, append_event, run_command
from server.config import DatabaseSettings, OmsSettings, Secrets, Settings, SiteSettings
from server.db import Database
from server.sync.contract import WaveBuilt
from server.sync.outbox import Outbox, sync_status
from tests.conftest import Api
from tests.live_server import free_port

_keys = itertools.count(1)


class FakeOms:
    """Takes event batches; `mode` decides the answer: ok, fail (500), stall, drop, or
    refuse (400 for a batch holding a seq in `refused`)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.refused: set[int] = set()
        self.batches: list[list[dict[str, Any]]] = []
        self.headers: list[dict[str, str]] = []
        self.port = free_port()
        oms = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = msgspec.json.decode(self.rfile.read(int(self.headers["Content-Length"])))
                oms.headers.append(dict(self.headers))
                seqs = {e["seq"] for e in body["events"]}
                if oms.mode == "stall":
                    time.sleep(1.5)
                    return
                if oms.mode == "drop":
                    self.connection.close()
                    return
                if oms.mode == "fail":
                    self._answer(500, b'{"error": "busy"}')
                    return
                if seqs & oms.refused:
                    self._answer(400, b'{"error": "unknown SKU"}')
                    return
                oms.batches.append(body["events"])
                self._answer(200, b'{"ok": true}')

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    def keys(self) -> list[str]:
        """Every event key taken, in the order taken, repeats included."""
        return [e["key"] for batch in self.batches for e in batch]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def oms() -> Iterator[FakeOms]:
    fake = FakeOms()
    yield fake
    fake.close()


def site(tmp_path: Any, url: str, **oms: Any) -> Settings:
    return Settings(
        site=SiteSettings(code="S1"),
        database=DatabaseSettings(path=str(tmp_path / "site.db")),
        oms=OmsSettings(
            **{
                "enabled": True,
                "url": url,
                "batch_size": 4,
                "timeout_seconds": 0.5,
                "retry_min_seconds": 0.01,
                "retry_max_seconds": 0.05,
                "poll_seconds": 0.05,
                **oms,
            }
        ),
    )


def add_events(db: Database, count: int) -> None:
    def rules(conn: Any, ctx: Any) -> None:
        for n in range(count):
            append_event(
                conn, ctx, "wave.built", WaveBuilt(wave_no=f"W{n}", orders=[], automatic=True)
            )

    run_command(db, SYSTEM, "test.events", f"events-{next(_keys)}", {}, rules)


def keys_of(db: Database, seqs: Iterable[int]) -> list[str]:
    """The keys the OMS must see for these events: `S1:<epoch>:<seq>`, as journalled."""
    epochs = db.read(lambda c: dict(c.execute("SELECT seq, epoch FROM events").fetchall()))
    return [f"S1:{epochs[n]}:{n}" for n in seqs]


@pytest.fixture
def db(tmp_path: Any) -> Iterator[Database]:
    database = Database(tmp_path / "site.db")
    database.migrate()
    yield database
    database.close()


def drain(
    outbox: Outbox,
    db: Database,
    until: str = "idle",
    tries: int = 200,
    clock: ManualClock | None = None,
) -> list[str]:
    """Deliver until `until`; a backoff is waited out, or, given the site's `clock`, skipped
    by moving it past the longest backoff."""
    seen = []
    for _ in range(tries):
        outcome = outbox.deliver_once(db)
        seen.append(outcome)
        if outcome == until:
            return seen
        if outcome == "waiting":
            if clock is None:
                time.sleep(0.01)
            else:
                clock.advance(seconds=outbox.settings.oms.retry_max_seconds)
    raise AssertionError(f"never {until}: {seen[-10:]}")


@pytest.fixture
def still_clock() -> Iterator[ManualClock]:
    """The site's clock, standing still until the test moves it: whether a backoff has
    run out does not depend on how fast the machine gets from one call to the next."""
    with clock.use(ManualClock(clock.now())) as manual:
        yield manual


def test_events_go_in_order_in_batches_with_their_keys(
    tmp_path: Any, db: Database, oms: FakeOms
) -> None:
    add_events(db, 10)
    outbox = Outbox(site(tmp_path, oms.url), Secrets(oms_token="oms-secret", oms_hmac_secret=""))
    drain(outbox, db)
    assert oms.keys() == keys_of(db, range(1, 11))
    assert [len(b) for b in oms.batches] == [4, 4, 2]
    assert oms.headers[0]["Authorization"] == "Bearer oms-secret"
    keys = oms.keys()
    assert oms.headers[0]["Idempotency-Key"] == f"{keys[0]}..{keys[3]}"
    # Every key names the journal epoch it was written in: `site:epoch:seq`.
    assert all(re.fullmatch(r"S1:[0-9a-f]{12}:\d+", key) for key in keys)
    status = db.read(lambda c: sync_status(c, outbox.settings))
    assert (status["delivered_seq"], status["backlog"], status["last_error"]) == (10, 0, "")


@pytest.mark.parametrize("trouble", ["fail", "stall", "drop", "away"])
def test_passing_trouble_is_retried_and_nothing_is_lost_or_reordered(
    tmp_path: Any, db: Database, oms: FakeOms, trouble: str, still_clock: ManualClock
) -> None:
    # The site's clock stands still: "waiting" below holds however slow the machine is.
    slow = {"retry_min_seconds": 0.2, "retry_max_seconds": 0.4}
    add_events(db, 6)
    outbox = Outbox(site(tmp_path, oms.url, **slow))
    drain(outbox, db, clock=still_clock)
    oms.mode = trouble
    if trouble == "away":  # nothing listens there: connection refused
        outbox = Outbox(site(tmp_path, f"http://127.0.0.1:{free_port()}/events", **slow))
    add_events(db, 5)
    assert outbox.deliver_once(db) == "failed"
    status = db.read(lambda c: sync_status(c, outbox.settings))
    assert status["delivered_seq"] == 6
    assert status["backlog"] > 0 and status["last_error"] and status["attempts"] == 1
    assert outbox.deliver_once(db) == "waiting"  # backoff before the next try
    oms.mode = "ok"
    outbox = Outbox(site(tmp_path, oms.url))
    drain(outbox, db, clock=still_clock)
    taken = list(dict.fromkeys(oms.keys()))  # repeats of one key are one event
    assert taken == keys_of(db, range(1, 12))


def test_a_refused_event_stops_delivery_before_it_until_a_supervisor_acts(
    tmp_path: Any, oms: FakeOms
) -> None:
    settings = site(tmp_path, oms.url)
    from litestar.testing import TestClient

    from server.app import create_app

    app = create_app(
        Settings(
            site=settings.site,
            database=settings.database,
            oms=OmsSettings(enabled=False, url=oms.url),
        )
    )
    with TestClient(app) as client:
        api = Api(client, app.state.db, app.state.settings)  # the supervisor's calls
        db = app.state.db
        add_events(db, 10)
        oms.refused = {6}
        outbox = Outbox(settings)
        drain(outbox, db, until="stopped")
        assert list(dict.fromkeys(oms.keys())) == keys_of(db, range(1, 6))
        status = api.get("/api/v1/sync").json()
        assert status["stopped"]["seq"] == 6 and "unknown SKU" in status["stopped"]["error"]
        assert api.client.get("/health").json()["sync"]["stopped"]["seq"] == 6
        assert outbox.deliver_once(db) == "stopped"  # nothing after it goes

        refused = api.post("/api/v1/sync/skip", role="dock", json={"seq": 6, "reason": "bad"})
        assert refused.json()["error"]["code"] == "ROLE_NOT_ALLOWED"
        wrong = api.post("/api/v1/sync/skip", json={"seq": 7, "reason": "not this one"})
        assert wrong.json()["error"]["code"] == "SYNC_STOPPED_ELSEWHERE"
        assert api.post("/api/v1/sync/retry").status_code == 200
        assert drain(outbox, db, until="stopped")[-1] == "stopped"  # still refused
        skipped = api.post("/api/v1/sync/skip", json={"seq": 6, "reason": "SKU fixed by hand"})
        assert skipped.status_code == 200, skipped.text
        drain(outbox, db)
        assert list(dict.fromkeys(oms.keys())) == keys_of(db, [n for n in range(1, 11) if n != 6])
        audit = db.read(
            lambda c: c.execute(
                "SELECT target, outcome FROM audit WHERE action = 'sync.skip' ORDER BY id"
            ).fetchall()
        )
        assert [tuple(r) for r in audit] == [
            ("event:7", "refused"),
            ("event:6", "ok"),
        ]


def test_the_worker_delivers_what_commands_journal(tmp_path: Any, oms: FakeOms) -> None:
    from litestar.testing import TestClient

    from server.app import create_app

    app = create_app(site(tmp_path, oms.url))
    with TestClient(app) as client:
        add_events(app.state.db, 7)
        deadline = time.monotonic() + 10
        while len(set(oms.keys())) < 7 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(dict.fromkeys(oms.keys())) == keys_of(app.state.db, range(1, 8))
        # The worker marks a batch delivered after the OMS has answered it: wait for the mark.
        while client.get("/health").json()["sync"]["backlog"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/health").json()["sync"]["backlog"] == 0


def test_the_worker_drains_a_backlog_without_waiting_between_batches(
    tmp_path: Any, oms: FakeOms
) -> None:
    from litestar.testing import TestClient

    from server.app import create_app

    # 400 events in batches of 4, drain() sends 50 batches per step, the idle poll is
    # 30 s: only running again at once while it is sending gets all of them over.
    settings = site(tmp_path, oms.url, poll_seconds=30.0)
    backlog = Database(settings.database.path)
    backlog.migrate()
    add_events(backlog, 400)  # waiting before the worker's first step
    backlog.close()
    app = create_app(settings)
    with TestClient(app):
        deadline = time.monotonic() + 10
        while len(set(oms.keys())) < 400 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(set(oms.keys())) == 400


def test_with_a_shared_secret_oms_requests_must_be_signed_and_fresh(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litestar.testing import TestClient

    from server.app import create_app
    from server.sync.signature import sign

    monkeypatch.setenv("BONDFLOOR_OMS_HMAC_SECRET", "s3cret")
    app = create_app(Settings(database=DatabaseSettings(path=str(tmp_path / "site.db"))))
    with TestClient(app) as client:
        api = Api(client, app.state.db, app.state.settings)
        body = msgspec.json.encode({"code": "C9", "name": "Signed customer"})

        def post(headers: dict[str, str]) -> Any:
            return client.post(
                "/api/v1/customers",
                content=body,
                headers={
                    **api.headers("oms", key=f"sig-{next(_keys)}"),
                    "Content-Type": "application/json",
                    **headers,
                },
            )

        now = str(int(time.time()))
        assert post({}).json()["error"]["code"] == "SIGNATURE_MISSING"
        forged = post({"X-Timestamp": now, "X-Signature": sign("wrong", now, body)})
        assert (forged.status_code, forged.json()["error"]["code"]) == (401, "SIGNATURE_INVALID")
        old = str(int(time.time()) - 3600)
        stale = post({"X-Timestamp": old, "X-Signature": sign("s3cret", old, body)})
        assert stale.json()["error"]["code"] == "SIGNATURE_EXPIRED"
        assert api.get("/api/v1/customers/C9").status_code == 404  # nothing was made
        good = post({"X-Timestamp": now, "X-Signature": sign("s3cret", now, body)})
        assert good.status_code == 200, good.text
        # A handheld's session is not an OMS token: no signature needed.
        assert api.get("/api/v1/customers/C9").status_code == 200
