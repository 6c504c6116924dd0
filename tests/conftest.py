"""Shared fixtures: a real SQLite file per test, the app behind the in-process client."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Playwright, sync_playwright

from server import app as app_module
from server import clock
from server.app import _initial_state as initial_state
from server.app import create_app
from server.auth import service as auth
from server.clock import ManualClock
from server.commands import SYSTEM, run_command
from server.config import ROLES, DatabaseSettings, Settings
from server.db import Database, migrations
from server.observe.requests import RequestObserver

PIN = "4321"
_keys = itertools.count(1)


def new_key(prefix: str = "t") -> str:
    return f"{prefix}-{next(_keys)}"


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A site file with every migration applied, made once per run by the real path."""
    path = tmp_path_factory.mktemp("migrated") / "site.db"
    database = Database(path)
    names = database.migrate()
    database.close()
    return path, names


@pytest.fixture(autouse=True)
def migrate_by_copy(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    migrated_file: tuple[Path, list[str]],
) -> None:
    """A new, empty site file in this process gets the migrated file's pages instead of
    running every migration again (most of a test's set-up otherwise). A file that holds
    anything (an upgrade test's old schema) migrates for real, and so does every test
    marked `real_migrations`."""
    if request.node.get_closest_marker("real_migrations"):
        return
    path, names = migrated_file
    apply_for_real = migrations.apply_migrations

    def apply(conn: sqlite3.Connection) -> list[str]:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return apply_for_real(conn)
        source = sqlite3.connect(path)
        try:
            source.backup(conn)
        finally:
            source.close()
        return list(names)

    monkeypatch.setattr(migrations, "apply_migrations", apply)


# scrypt is deterministic: a PIN and a stored hash always verify the same way, so the run
# keeps each answer once. A PIN is hashed once per run too (one salt per PIN in tests):
# hundreds of tests each add a user with the same PIN and log in, and two scrypt calls of
# ~40 ms for every one of them were a large part of the in-process suite. The hashes are
# the real ones (same format, same cost parameters), only not recomputed.
_pin_hashes: dict[str, str] = {}
_pin_checks: dict[tuple[str, str], bool] = {}


@pytest.fixture(autouse=True)
def pins_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    real_hash, real_verify = auth.hash_pin, auth.verify_pin

    def hash_pin(pin: str) -> str:
        if pin not in _pin_hashes:
            _pin_hashes[pin] = real_hash(pin)
        return _pin_hashes[pin]

    def verify_pin(pin: str, stored: str) -> bool:
        if (pin, stored) not in _pin_checks:
            _pin_checks[pin, stored] = real_verify(pin, stored)
        return _pin_checks[pin, stored]

    monkeypatch.setattr(auth, "hash_pin", hash_pin)
    monkeypatch.setattr(auth, "verify_pin", verify_pin)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database=DatabaseSettings(path=str(tmp_path / "site.db")))


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database.path)
    database.migrate()
    yield database
    database.close()


def add_user(
    db: Database, settings: Settings, code: str, roles: list[str], badge: str | None = None
) -> None:
    run_command(
        db,
        SYSTEM,
        "user.add",
        new_key("user"),
        {"code": code},
        lambda conn, ctx: auth.add_user(
            conn,
            ctx,
            settings.auth,
            code=code,
            name=f"{code} name",
            roles=roles,
            pin=PIN,
            badge=badge,
        ),
    )


class Api:
    """The in-process client with a login per role."""

    def __init__(self, client: TestClient[Any], db: Database, settings: Settings) -> None:
        self.client = client
        self.db = db
        self.settings = settings
        self._tokens: dict[str, str] = {}

    def token(self, role: str) -> str:
        if role not in self._tokens:
            if role in ("station", "oms"):
                self._tokens[role] = self.db._write(
                    lambda conn: auth.add_api_token(conn, _ctx(), f"{role}-token", role)["token"]
                )
            else:
                code = f"{role}01"
                add_user(self.db, self.settings, code, [role])
                self._tokens[role] = self.log_in(code)
        return self._tokens[role]

    def log_in(self, code: str) -> str:
        """A session for `code` as the login route opens one (same service, same gate,
        the in-process client's address), without the HTTP round trip: most tests are not
        about logging in, and those that are post to /api/v1/auth/login themselves."""
        app = self.client.app
        assert isinstance(app, Litestar)
        attempt = auth.LoginAttempt(device="", address="testclient", user_code=code, pin=PIN)
        answer = auth.login(self.db, self.settings.auth, app.state.login_gate, attempt)
        return answer.token

    def headers(self, role: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(role)}", "X-Device": f"test-{role}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, role: str = "supervisor", **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(role), **kw)

    def post(self, path: str, role: str = "supervisor", key: str | None = "auto", **kw: Any) -> Any:
        key = new_key() if key == "auto" else key
        return self.client.post(
            path, headers={**self.headers(role, key), **kw.pop("headers", {})}, **kw
        )


def _ctx() -> Any:
    from server.commands import CommandContext

    return CommandContext(actor=SYSTEM, key=new_key("token"))


@pytest.fixture(scope="module")
def apps_of_module() -> dict[bytes, Litestar]:
    """The apps built in this module, by what they were built from (see `app_for`)."""
    return {}


def app_for(settings: Settings, built: dict[bytes, Litestar]) -> Litestar:
    """An app for this test's site: built once per module for the same settings (all but
    the database file) and environment, since building one registers every route again
    (about a tenth of a second). A reused app starts afresh: its state is made anew from
    this test's settings (login throttles, metrics, workers) and its lifespan opens this
    test's database, as a new app's would."""
    site = msgspec.structs.replace(
        settings, database=msgspec.structs.replace(settings.database, path="")
    )
    environment = sorted((k, v) for k, v in os.environ.items() if k.startswith("BONDFLOOR_"))
    pages = str(app_module.handheld_web_dir())  # a test may serve its own copy (own_pages)
    key = msgspec.json.encode([site, environment, pages])
    app = built.get(key)
    if app is None:
        app = built[key] = create_app(settings)
        return app
    app.state = initial_state(settings)
    observer = app.asgi_handler
    assert isinstance(observer, RequestObserver), observer
    observer.metrics = app.state.metrics  # it counts into the state's metrics
    return app


@pytest.fixture
def api(settings: Settings, apps_of_module: dict[bytes, Litestar]) -> Iterator[Api]:
    app = app_for(settings, apps_of_module)
    with TestClient(app) as client:
        yield Api(client, app.state.db, settings)


def seed_basics(api: Api) -> None:
    """Two customers, a SKU each, a dock and three storage locations, written by the master
    data commands as their routes run them (by the supervisor, one key each), without the
    HTTP round trips: tests/api/test_masterdata.py is where those routes are tested."""
    from server.masterdata import service as masterdata
    from server.masterdata.schemas import CustomerIn, LocationIn, SkuIn

    for code in ("C1", "C2"):
        customer = msgspec.convert({"code": code, "name": f"Customer {code}"}, CustomerIn)
        command_by_service(api, "customer.upsert", customer, masterdata.upsert_customer)
    skus = [
        {"customer": "C1", "code": "S1", "name": "Soap", "barcodes": ["6901234567892"]},
        {"customer": "C2", "code": "S2", "name": "Gel", "barcodes": ["4006381333931"]},
    ]
    for sku in skus:
        command_by_service(api, "sku.upsert", msgspec.convert(sku, SkuIn), masterdata.upsert_sku)
    for code, type_ in (
        ("DOCK-1", "dock"),
        ("A-1", "storage"),
        ("A-2", "storage"),
        ("A-3", "storage"),
    ):
        location = msgspec.convert({"code": code, "zone": code[0], "type": type_}, LocationIn)
        command_by_service(api, "location.upsert", location, masterdata.upsert_location)


def command_by_service(
    api: Api,
    name: str,
    data: msgspec.Struct,
    rules: Callable[[Any, Any, Any], Any],
    role: str = "supervisor",
) -> Any:
    """A declared command with a JSON body, run as its route runs it (`role`'s user, a new
    key, the same fingerprint), for seeding a test that is not about that route."""
    from server.commands import Actor
    from server.declare import request_fingerprint_payload

    api.token(role)  # the user exists and has a session, as after a login
    actor = Actor(kind="user", code=f"{role}01", roles=frozenset({role}), device=f"test-{role}")
    fingerprint = request_fingerprint_payload({"data": data}, {})
    return run_command(
        api.db, actor, name, new_key(), fingerprint, lambda conn, ctx: rules(conn, ctx, data)
    ).value


def movement_by_service(
    api: Api,
    *,
    kind: str,
    customer: str,
    sku: str,
    quantity: int,
    from_location: str | None = None,
    to_location: str | None = None,
    lot: str = "",
    expiry: str = "",
    reason: str = "",
    document: str = "",
    role: str = "supervisor",
) -> None:
    """A movement straight into the ledger, as a flow records it: for seeding places the
    manual route may not touch (a dock) and kinds only flows make (putaway, count)."""
    from server.commands import Actor
    from server.ledger.schemas import MovementIn
    from server.ledger.service import post_movement

    def location_id(conn: Any, code: str | None) -> int | None:
        if code is None:
            return None
        return int(conn.execute("SELECT id FROM locations WHERE code = ?", (code,)).fetchone()[0])

    def post(conn: Any, ctx: Any) -> Any:
        sku_row = conn.execute(
            "SELECT s.id, s.customer_id FROM skus s JOIN customers c ON c.id = s.customer_id "
            "WHERE c.code = ? AND s.code = ?",
            (customer, sku),
        ).fetchone()
        return post_movement(
            conn,
            ctx,
            MovementIn(
                kind=kind,  # type: ignore[arg-type]
                customer_id=sku_row["customer_id"],
                sku_id=sku_row["id"],
                quantity=quantity,
                lot=lot,
                expiry=expiry,
                from_location_id=location_id(conn, from_location),
                to_location_id=location_id(conn, to_location),
                reason=reason,
                document=document,
            ),
        )

    api.token(role)  # the user exists, as after a login
    actor = Actor(kind="user", code=f"{role}01", roles=frozenset({role}), device=f"test-{role}")
    run_command(api.db, actor, f"test.{kind}", new_key(kind), {}, post)


def receive_by_flow(api: Api, *, to_location: str, **fields: Any) -> None:
    """Units received onto a location (a dock, say) as the receiving flow records them."""
    movement_by_service(api, kind="receive", to_location=to_location, **fields)


def table_counts(db: Database) -> dict[str, int]:
    tables = [
        "customers",
        "skus",
        "sku_barcodes",
        "locations",
        "movements",
        "balances",
        "events",
        "commands",
    ]
    return db.read(
        lambda conn: {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    )


__all__ = [
    "PIN",
    "ROLES",
    "Api",
    "add_user",
    "command_by_service",
    "movement_by_service",
    "new_key",
    "receive_by_flow",
    "seed_basics",
    "table_counts",
]


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    """The run's one Playwright (a second sync one cannot start beside it): the e2e pages'
    browser, and tests that need a Chromium of their own (a fake camera, a trusted site CA),
    launch from this."""
    from tests.e2e.conftest import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"end-to-end tests need Debian's chromium at {CHROMIUM}")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def site_clock() -> Iterator[ManualClock]:
    """The site's clock for this test (server/clock.py): it follows the machine's clock
    until the test moves it forward with `advance(...)`, instead of sleeping for time to
    pass. Every thread of the in-process app reads it (handlers, workers, the guard)."""
    with clock.use(ManualClock()) as manual:
        yield manual
