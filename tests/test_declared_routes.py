"""Routes declare their command: the key, the fingerprint and the read-only connection are
the declaration's job, and the slices converted to it write nothing by hand."""

from __future__ import annotations

import ast
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.testing import TestClient

from server import system_writes
from server.commands import SYSTEM, CommandContext, request_fingerprint
from server.db import Database
from server.declare import bookkeeping, command, query, request_fingerprint_payload
from server.errors import Conflict, DomainError
from server.system_writes import Books
from server.web import PUBLIC, allow, handle_domain_error
from tests.conftest import Api

ROOT = Path(__file__).resolve().parent.parent
HAND_WRITTEN_COMMANDS_LEFT = 0
"""`run_command(` written out in routes modules; it may only go down, to 0."""
DECLARED_SLICES = (
    "masterdata",
    "inbound",
    "dock",
    "outbound",
    "putaway",
    "counts",
    "ledger",
    "moves",
    "printing",
    "reconcile",
    "alerts",
    "sync",
    "stock",
    "trace",
    "stations",
    "auth",
)
DECLARED_TAGS = {
    "master data",
    "inbound",
    "dock",
    "outbound",
    "picking",
    "packing",
    "put-away",
    "counts",
    "ledger",
    "moves",
    "printing",
    "reconciliation",
    "alerts",
    "dashboard",
    "sync",
    "auth",
    "stock",
    "trace",
    "stations",
    "station agent",
}
LITESTAR_ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "head", "route"}
UNDECLARED_INFRASTRUCTURE = {
    ("server/status/routes.py", "health"): "monitoring: reports the workers, the print "
    "dispatcher and the uptime from the app's state beside the database, and must answer "
    "while the floor API is in trouble",
    ("server/status/routes.py", "client_config"): "public settings before login; reads no database",
    ("server/sync/routes.py", "event_schema"): "the published events contract, built from "
    "code and the site code; reads no database",
    ("server/observe/routes.py", "live"): "liveness probe; touches nothing",
    ("server/observe/routes.py", "ready"): "readiness probe: takes the writer for an empty "
    "transaction (system_writes.probe_writer) and checks disk and OMS, answering 503",
    ("server/observe/routes.py", "metrics"): "Prometheus text from the process's registry; "
    "reads no database",
    ("server/tls/routes.py", "ca_certificate"): "the site CA file; reads no database",
    ("server/tls/routes.py", "ca_qr_code"): "a QR code of the CA's address; reads no database",
    ("server/tls/routes.py", "site_ca"): "the CA's facts from its file; reads no database",
    ("server/app_shell.py", "service_worker"): "the handheld app's service worker script, "
    "built from the page files; reads no database",
}
"""Routes left as bare litestar routes, each with why: infrastructure, not the floor API.
(The page files and the OpenAPI document are served by litestar's own routers.)"""


def routes_modules() -> list[Path]:
    return sorted((ROOT / "server").glob("*/*routes.py"))


def test_hand_written_commands_in_routes_only_go_down() -> None:
    counts = {
        str(p.relative_to(ROOT)): p.read_text().count("run_command(") for p in routes_modules()
    }
    assert sum(counts.values()) <= HAND_WRITTEN_COMMANDS_LEFT, {
        path: n for path, n in counts.items() if n
    }


def bare_route_handlers(source: str) -> list[str]:
    """The functions decorated straight with a litestar route decorator (`@get(...)`),
    not through a declaration (`@query(get, ...)`)."""
    bare = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            called = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(called, ast.Name) and called.id in LITESTAR_ROUTE_DECORATORS:
                bare.append(node.name)
    return bare


def test_every_route_is_declared_or_allowlisted_as_infrastructure() -> None:
    # Every module under server/, not only the routes modules: a route written elsewhere
    # is still a route.
    bare = {
        (str(p.relative_to(ROOT)), name)
        for p in sorted((ROOT / "server").rglob("*.py"))
        for name in bare_route_handlers(p.read_text())
    }
    assert sorted(bare - UNDECLARED_INFRASTRUCTURE.keys()) == []
    # An entry whose route was declared since (or is gone) leaves the list.
    assert sorted(UNDECLARED_INFRASTRUCTURE.keys() - bare) == []


def test_a_bare_route_decorator_is_found_and_a_declared_one_is_not() -> None:
    source = (
        "@get('/a', opt=X)\ndef a(db): ...\n"
        "@post\ndef b(): ...\n"
        "@query(get, '/c', roles=X, answer=int, tags=[])\ndef c(conn): ...\n"
        "@bookkeeping(post, '/d', roles=X, answer=int, tags=[])\ndef d(books): ...\n"
    )
    assert bare_route_handlers(source) == ["a", "b"]


def test_declared_slices_write_only_through_their_declarations() -> None:
    for slice_name in DECLARED_SLICES:
        for module in sorted((ROOT / "server" / slice_name).glob("*routes.py")):
            by_hand = re.findall(r"\.write\(|run_command\(|Database\b", module.read_text())
            assert by_hand == [], (module.name, by_hand)


def test_declared_slices_document_a_typed_answer_on_every_route(api: Api) -> None:
    """Not `{}` or "any object": the answer's struct, which the fuzz test holds every
    2xx answer to."""
    document = api.client.get("/schema/openapi.json").json()
    untyped = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not set(operation.get("tags", [])) & DECLARED_TAGS:
                continue
            success = next(r for code, r in operation["responses"].items() if code[0] == "2")
            if "application/json" not in success["content"]:
                continue  # a file (a label's PNG, a report's CSV): its media type is its answer
            schema = success["content"]["application/json"]["schema"]
            if not is_typed(schema.get("items", schema)):
                untyped.append(f"{method} {path}: {schema}")
    assert untyped == []


def is_typed(schema: dict[str, Any]) -> bool:
    """A struct, or a choice of structs (a counter's view or a supervisor's; none)."""
    if "oneOf" in schema:
        choices = [c for c in schema["oneOf"] if c != {"type": "null"}]
        return bool(choices) and all("$ref" in c for c in choices)
    return "$ref" in schema


# -- a declared command and a declared query on a small app of their own -------------------


class Badge(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    badge: str
    note: str = ""


class Noted(msgspec.Struct, kw_only=True):
    thing: int
    note: str


@command(
    post,
    "/things/{thing_id:int}/badge",
    name="thing.badge",
    roles=allow(PUBLIC),
    payload=Badge,
    answer=Noted,
    tags=["test"],
    secrets={"badge": lambda badge: f"…{badge[-2:]}"},
)
def badge_thing(
    conn: sqlite3.Connection, ctx: CommandContext, thing_id: FromPath[int], data: Badge
) -> Noted:
    """Note a badge on a thing."""
    conn.execute("CREATE TABLE IF NOT EXISTS noted (thing INTEGER, note TEXT)")
    conn.execute("INSERT INTO noted VALUES (?, ?)", (thing_id, data.note))
    return Noted(thing=thing_id, note=data.note)


@query(get, "/probe", roles=allow(PUBLIC), answer=dict[str, Any], tags=["test"])
def probe(conn: sqlite3.Connection) -> dict[str, Any]:
    """Whether the connection a query gets can write."""
    try:
        conn.execute("CREATE TABLE written (x INTEGER)")
    except sqlite3.OperationalError as err:
        refused = str(err)
    else:
        refused = ""
    return {"query_only": conn.execute("PRAGMA query_only").fetchone()[0], "refused": refused}


@pytest.fixture
def small_app(db: Database) -> Iterator[TestClient[Any]]:
    app = Litestar(
        route_handlers=[badge_thing, probe],
        dependencies={
            "db": Provide(lambda: db, sync_to_thread=False),
            "actor": Provide(lambda: SYSTEM, sync_to_thread=False),
        },
        exception_handlers={DomainError: handle_domain_error},
    )
    with TestClient(app) as client:
        yield client


def test_a_declared_command_keeps_the_badge_out_of_its_stored_fingerprint(
    small_app: TestClient[Any], db: Database
) -> None:
    sent = {"badge": "BF-7QK2M-X4RTA", "note": "at the door"}
    answer = small_app.post("/things/7/badge", json=sent, headers={"Idempotency-Key": "k1"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"thing": 7, "note": "at the door"}
    stored = db.read(
        lambda conn: conn.execute("SELECT name, request_hash, result FROM commands").fetchall()
    )
    masked = {"thing": 7, "badge": "…TA", "note": "at the door"}
    assert [tuple(r) for r in stored] == [
        (
            "thing.badge",
            request_fingerprint("thing.badge", [SYSTEM.label, masked]),
            '{"thing":7,"note":"at the door"}',
        )
    ]


def test_a_declared_command_replays_its_key_and_refuses_it_for_another_path(
    small_app: TestClient[Any], db: Database
) -> None:
    body = {"badge": "B1", "note": "n"}
    first = small_app.post("/things/7/badge", json=body, headers={"Idempotency-Key": "k2"})
    again = small_app.post("/things/7/badge", json=body, headers={"Idempotency-Key": "k2"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    other = small_app.post("/things/8/badge", json=body, headers={"Idempotency-Key": "k2"})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    missing = small_app.post("/things/7/badge", json=body)
    assert missing.json()["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    rows = db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM noted").fetchone()[0])
    assert rows == 1


def test_a_declared_query_reads_on_a_connection_that_cannot_write(
    small_app: TestClient[Any],
) -> None:
    answer = small_app.get("/probe").json()
    assert answer["query_only"] == 1
    assert "readonly" in answer["refused"]


def test_path_ids_enter_the_fingerprint_as_before_routes_were_declared() -> None:
    # `{"plan": plan_id, ...}` is what the hand-written receiving route stored: a key sent
    # before an upgrade still replays after it.
    payload = request_fingerprint_payload(
        {"plan_id": 3, "data": Badge(badge="B", note="x"), "body": b"rows"}, {"badge": None}
    )
    assert payload == {
        "plan": 3,
        "note": "x",
        "body": payload["body"],
    }
    assert payload["body"] != "rows"


def test_a_declaration_whose_payload_is_not_its_body_fails_at_import() -> None:
    with pytest.raises(TypeError, match="must take `data: Badge`"):

        @command(post, "/x", name="x", roles=allow(PUBLIC), payload=Badge, answer=Noted, tags=[])
        def wrong(conn: sqlite3.Connection, ctx: CommandContext, data: Noted) -> Noted:
            return data


def test_a_declaration_whose_rules_miss_the_prepared_request_fails_at_import() -> None:
    def read_file(conn: sqlite3.Connection, body: bytes) -> int:
        return len(body)

    with pytest.raises(TypeError, match="takes `prepared` exactly when"):

        @command(
            post, "/y", name="y", roles=allow(PUBLIC), answer=Noted, tags=[], prepare=read_file
        )
        def forgets(conn: sqlite3.Connection, ctx: CommandContext) -> Noted:
            return Noted(thing=0, note="")


# -- then: a step once the command is committed (wake a printer), on its replay too ---------


class Bell:
    """Stands in for the print dispatcher: what it was rung with, and what the database
    held at that moment."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rung: list[tuple[Any, int]] = []

    def ring(self, conn: sqlite3.Connection, answer: Any) -> None:
        noted = conn.execute("SELECT COUNT(*) FROM noted").fetchone()[0]
        self.rung.append((answer, noted))


def ring_the_bell(conn: sqlite3.Connection, answer: Any, bell: NamedDependency[Bell]) -> Any:
    bell.ring(conn, answer)
    return answer


@command(
    post,
    "/things/{thing_id:int}/rung",
    name="thing.rung",
    roles=allow(PUBLIC),
    payload=Badge,
    answer=Noted,
    tags=["test"],
    then=ring_the_bell,
)
def rung_thing(
    conn: sqlite3.Connection, ctx: CommandContext, thing_id: FromPath[int], data: Badge
) -> Noted:
    """Note a thing, then ring the bell."""
    if data.note == "refuse":
        raise Conflict("refused", code="THING_REFUSED")
    conn.execute("CREATE TABLE IF NOT EXISTS noted (thing INTEGER, note TEXT)")
    conn.execute("INSERT INTO noted VALUES (?, ?)", (thing_id, data.note))
    return Noted(thing=thing_id, note=data.note)


@query(post, "/things/check", roles=allow(PUBLIC), answer=Noted, tags=["test"])
def check_thing(conn: sqlite3.Connection, data: JSONBody[Noted]) -> Noted:
    """A check sent as a POST body that changes nothing."""
    return data


@pytest.fixture
def bell_app(db: Database) -> Iterator[tuple[TestClient[Any], Bell]]:
    bell = Bell(db)
    app = Litestar(
        route_handlers=[rung_thing, check_thing],
        dependencies={
            "db": Provide(lambda: db, sync_to_thread=False),
            "actor": Provide(lambda: SYSTEM, sync_to_thread=False),
            "bell": Provide(lambda: bell, sync_to_thread=False),
        },
        exception_handlers={DomainError: handle_domain_error},
    )
    with TestClient(app) as client:
        yield client, bell


def test_then_runs_once_the_command_is_committed_and_on_its_replay(
    bell_app: tuple[TestClient[Any], Bell],
) -> None:
    client, bell = bell_app
    body = {"badge": "B1", "note": "n"}
    for _ in range(2):
        answer = client.post("/things/7/rung", json=body, headers={"Idempotency-Key": "r1"})
        assert answer.status_code == 200, answer.text
    # The second call replays: nothing more is noted, and the bell rings again (harmless).
    assert bell.rung == [({"thing": 7, "note": "n"}, 1), ({"thing": 7, "note": "n"}, 1)]


def test_then_does_not_ring_for_a_refused_command(
    bell_app: tuple[TestClient[Any], Bell],
) -> None:
    client, bell = bell_app
    body = {"badge": "B1", "note": "refuse"}
    answer = client.post("/things/7/rung", json=body, headers={"Idempotency-Key": "r2"})
    assert answer.status_code == 409
    assert bell.rung == []


def test_a_declared_query_sent_as_a_post_answers_200(
    bell_app: tuple[TestClient[Any], Bell],
) -> None:
    client, _ = bell_app
    answer = client.post("/things/check", json={"thing": 1, "note": "x"})
    assert answer.status_code == 200
    assert answer.json() == {"thing": 1, "note": "x"}


# -- bookkeeping: a route whose only writes are system writes ------------------------------


class Seen(msgspec.Struct, kw_only=True):
    events: int


@bookkeeping(post, "/things/seen", roles=allow(PUBLIC), answer=Seen, tags=["test"], status_code=201)
def see_things(books: Books) -> Seen:
    """Read through the books; no database in sight."""
    return Seen(
        events=books.read(lambda conn: conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    )


def test_a_bookkeeping_route_takes_books_not_the_database_and_answers_its_status(
    db: Database,
) -> None:
    # The handler litestar sees takes the database; the declared function gets books.
    assert "db" in see_things.fn.__signature__.parameters
    app = Litestar(
        route_handlers=[see_things],
        dependencies={"db": Provide(lambda: db, sync_to_thread=False)},
    )
    with TestClient(app) as client:
        answer = client.post("/things/seen")
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"events": 0}


def test_books_run_only_the_named_system_writes(db: Database) -> None:
    books = Books(db)
    with pytest.raises(TypeError, match="is not a system write"):
        books.record(lambda db: db)  # type: ignore[arg-type]
    books.record(system_writes.probe_writer)  # a named one runs
