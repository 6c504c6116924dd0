"""Property-based fuzz of the whole HTTP API, generated from its own OpenAPI schema.

schemathesis reads `/schema/openapi.json` from the app in-process and sends positive and
negative examples to every operation through its ASGI transport (no network), once as an
admin and once as a floor role without rights (picker). Each call must hold the house rules:

- never a 5xx;
- every 4xx/5xx body is exactly `{"error": {"code", "message", "details"}}` with a stable
  UPPER_SNAKE code;
- a refused request changes nothing in the database (the audit log aside);
- a 2xx body conforms to the schema where the schema declares one.

The run is bounded (a few examples per operation, a fixed seed, derandomized, no example
database) so CI sees the same cases every time. Below the fuzz, hand-written nasty inputs
the generator does not reach (deep nesting, invalid UTF-8, huge numbers, odd headers...).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import get_client, shutdown_lifespans
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.app import create_app
from server.config import AuthSettings, DatabaseSettings, Settings
from server.db import Database
from tests.conftest import PIN, Api, add_user, new_key, seed_basics

SEED = 20_240_611
MAX_EXAMPLES = 10
ROLES = ("admin", "picker")
FUZZED_HERE = ("admin",)
"""The picker's run is test_fuzz_openapi_as_picker.py: a module of its own, so that the two
runs (each about a quarter of the suite's test time) go to two test workers."""
ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")

# Tables whose content a refused request must leave alone. The audit log is left out (a
# refusal writes its audit line by design), and so are `users.failed_logins` (a wrong PIN is
# counted by design) and `sessions.last_used_at` (any authenticated call is a use).
FINGERPRINT_QUERIES = {
    "customers": "SELECT * FROM customers ORDER BY id",
    "skus": "SELECT * FROM skus ORDER BY id",
    "sku_barcodes": "SELECT * FROM sku_barcodes ORDER BY customer_id, barcode",
    "locations": "SELECT * FROM locations ORDER BY id",
    "movements": "SELECT * FROM movements ORDER BY id",
    "balances": "SELECT * FROM balances ORDER BY location_id, customer_id, sku_id, lot, expiry",
    "events": "SELECT * FROM events ORDER BY seq",
    "commands": "SELECT * FROM commands ORDER BY key",
    "users": "SELECT id, code, name, roles, pin_hash, badge, active FROM users ORDER BY id",
    "sessions": "SELECT token_hash, public_id, user_id, device, address, created_at, "
    "expires_at, ended_at FROM sessions ORDER BY token_hash",
    "api_tokens": "SELECT * FROM api_tokens ORDER BY id",
}


def fingerprint(conn: sqlite3.Connection) -> dict[str, str]:
    """A digest of each watched table's rows."""
    return {
        table: hashlib.sha256(repr([tuple(r) for r in conn.execute(sql)]).encode()).hexdigest()
        for table, sql in FINGERPRINT_QUERIES.items()
    }


@dataclass
class FuzzSite:
    """The app under test, its database file and a session token per role."""

    app: Any
    client: Any
    tokens: dict[str, str]
    reader: sqlite3.Connection
    log: list[logging.LogRecord] = field(default_factory=list)
    keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fingerprint(self) -> dict[str, str]:
        return fingerprint(self.reader)

    def login(self, role: str) -> str:
        """A fresh session through the real login route."""
        answer = self.client.post("/api/v1/auth/login", json={"user_code": f"{role}01", "pin": PIN})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])

    def seed(self, path: str, body: dict[str, Any]) -> None:
        headers = {
            "Authorization": f"Bearer {self.tokens['admin']}",
            "Idempotency-Key": f"fuzz-seed-{next(self.keys)}",
        }
        answer = self.client.post(path, json=body, headers=headers)
        assert answer.status_code == 200, answer.text


class _Collect(logging.Handler):
    def __init__(self, sink: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record)


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzSite]:
    db_path = tmp_path_factory.mktemp("fuzz") / "site.db"
    settings = Settings(
        database=DatabaseSettings(path=str(db_path)),
        # The fuzzer's wrong logins and its re-logins for the logout route all come from
        # one address and two users: no throttle, no session cap at this scale.
        auth=AuthSettings(login_free_failures=10**6, max_sessions_per_user=10**6),
    )
    db = Database(db_path)
    try:
        db.migrate()
        for role in ROLES:
            add_user(db, settings, f"{role}01", [role])
    finally:
        db.close()
    app = create_app(settings)
    reader = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    handler = _Collect([])
    logger = logging.getLogger("bondfloor")
    try:
        # The first client starts the app's lifespan in-process; it runs until the teardown.
        with get_client(app) as client:
            site = FuzzSite(app, client, {}, reader, handler.sink)
            site.tokens = {role: site.login(role) for role in ROLES}
            # A little master data, so the list and lookup routes have rows to show.
            site.seed("/api/v1/customers", {"code": "C1", "name": "Customer 1"})
            site.seed(
                "/api/v1/skus",
                {"customer": "C1", "code": "S1", "name": "Soap", "barcodes": ["6901234567892"]},
            )
            site.seed("/api/v1/locations", {"code": "A-1", "zone": "A", "type": "storage"})
            logger.addHandler(handler)
            yield site
    finally:
        logger.removeHandler(handler)
        reader.close()
        # Stop the lifespan schemathesis started: the workers end and the database closes.
        shutdown_lifespans()


@pytest.fixture(scope="module", params=FUZZED_HERE)
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _served_schema() -> dict[str, Any]:
    """The OpenAPI document as the app serves it (a public route: no lifespan, no database)."""
    answer = TestClient(create_app(Settings())).get("/schema/openapi.json")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


# Loaded at import so that `parametrize` makes one pytest item per operation (and role).
# Not `from_asgi` here: it would start the app's lifespan (database, workers) at collection
# time. Not `schemathesis.pytest.from_fixture` either: schemathesis 4.32 sets
# `request.node._nodeid`, which pytest 9.2 no longer has. The calls themselves go to the
# fixture's app through schemathesis' in-process ASGI transport (`case.call(app=...)`).
schema = schemathesis.openapi.from_dict(
    _served_schema(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        }
    ),
)


def error_shape(_ctx: Any, response: Any, _case: Any) -> None:
    """Every 4xx/5xx answer is the one error shape with a stable code."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError as err:
        raise AssertionError(f"error body is not JSON: {response.text[:300]!r}") from err
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error shape: {body!r}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}, (
        f"not the error shape: {body!r}"
    )
    assert isinstance(error["code"], str) and ERROR_CODE.match(error["code"]), (
        f"unstable error code: {error['code']!r}"
    )
    assert isinstance(error["message"], str) and error["message"], f"empty message: {body!r}"
    assert isinstance(error["details"], dict), f"details is not an object: {body!r}"


def success_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """The schema's own conformance check, for 2xx answers.

    Error answers are checked by `error_shape`, which also pins the code's spelling; the
    live run (tests/api/test_live_openapi.py) holds them to the document as well.
    """
    if 200 <= response.status_code < 300:
        return response_schema_conformance(ctx, response, case)
    return None


CHECKS = [not_a_server_error, success_conformance]


def _describe(case: Any, headers: dict[str, str]) -> str:
    """The request as sent, for a failure report (the bearer token left out)."""
    sent = case.as_transport_kwargs(headers=headers)
    shown = {k: v for k, v in sent["headers"].items() if k.lower() != "authorization"}
    body = sent.get("json", sent.get("data"))
    return (
        f"{sent['method']} {sent['url']} params={sent.get('params')!r}\n"
        f"headers={shown!r}\nbody={body!r:.2000}"
    )


def _server_log(site: FuzzSite, since: int) -> str:
    lines = []
    for record in site.log[since:]:
        text = f"{record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        lines.append(text)
    return "\n".join(lines)


def _check_call(case: Any, site: FuzzSite, role: str) -> None:
    """Send one generated case as `role` and hold it to the house rules."""
    operation = f"{case.method.upper()} {case.path}"
    token = site.tokens[role]
    if operation == "POST /api/v1/auth/logout":
        token = site.login(role)  # logging out must not end the shared session
    headers = {"Authorization": f"Bearer {token}", "X-Device": f"fuzz-{role}"}
    generated_key = case.headers and "Idempotency-Key" in case.headers
    negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
    if not (negative and generated_key):
        # A unique key lets a valid body reach the command; a negative case keeps its own.
        headers["Idempotency-Key"] = f"fuzz-{role}-{next(site.keys)}"

    before = site.fingerprint()
    logged = len(site.log)
    response = case.call(app=site.app, headers=headers)
    server_log = _server_log(site, logged)
    note = (
        f"\n--- {operation} as {role} -> {response.status_code}\n"
        f"{_describe(case, headers)}\n"
        # Lossy: a PDF or PNG answer is bytes, and the note is only read on a failure.
        f"response: {response.text_lossy()[:1000]}\n"
        f"server log:\n{server_log or '(nothing)'}"
    )

    assert response.status_code < 500, f"server error{note}"
    try:
        error_shape(None, response, case)
    except AssertionError as err:
        raise AssertionError(f"{err}{note}") from None
    if response.status_code >= 400:
        changed = [t for t, h in site.fingerprint().items() if before[t] != h]
        assert not changed, f"a refused request changed {changed}{note}"
    # A negative case may leave the bearer token out on purpose (the document requires it).
    sent_token = any(k.lower() == "authorization" for k in response.request.headers)
    if response.status_code == 401 and operation != "POST /api/v1/auth/login" and sent_token:
        raise AssertionError(f"the fuzzer's own {role} session stopped working{note}")
    assert not server_log, f"the server logged a warning or error{note}"
    case.validate_response(
        response, checks=CHECKS, headers=headers, transport_kwargs={"app": site.app}
    )


@schema.parametrize()
def test_api_holds_the_error_rules_under_fuzz(case: Any, fuzz_site: FuzzSite, role: str) -> None:
    _check_call(case, fuzz_site, role)


# -- nasty inputs the generator does not reach --------------------------------------------


@dataclass(frozen=True)
class Nasty:
    method: str
    url: str
    body: Any = None  # bytes, or a callable building big bytes lazily
    content_type: str | None = "application/json"
    role: str | None = "admin"  # None: no Authorization header
    headers: tuple[tuple[str, Any], ...] = ()
    key: bool = True  # send a fresh Idempotency-Key


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _json_ints(n: int) -> bytes:
    return b"[" + b",".join([b"1"] * n) + b"]"


BIG = 2**63
MOVEMENT = b'{"kind":"receive","customer":"C1","sku":"S1","to_location":"DOCK-1","quantity":%s}'
NASTY: list[Any] = [
    # NUL bytes and lone surrogates in query strings
    pytest.param(Nasty("GET", "/api/v1/stock/lookup?code=%00"), id="lookup-nul"),
    pytest.param(Nasty("GET", "/api/v1/stock/lookup?code=%ED%A0%80"), id="lookup-surrogate"),
    pytest.param(Nasty("GET", "/api/v1/skus?q=%00&customer=%ED%A0%80"), id="skus-nul-surrogate"),
    pytest.param(Nasty("GET", "/api/v1/locations?prefix=%FF&zone=%00"), id="locations-bad-utf8"),
    pytest.param(
        Nasty("GET", "/api/v1/ledger/movements?location=%00&sku=%ED%A0%80"), id="movements-nul"
    ),
    # NUL bytes, lone surrogates and invalid UTF-8 in JSON strings
    pytest.param(
        Nasty("POST", "/api/v1/customers", b'{"code":"C9","name":"a\\ud800b"}'),
        id="json-lone-surrogate",
    ),
    pytest.param(
        Nasty(
            "POST",
            "/api/v1/skus",
            b'{"customer":"C1","code":"S9","name":"x","barcodes":["1\\u00002"]}',
        ),
        id="json-nul-barcode",
    ),
    pytest.param(
        Nasty("POST", "/api/v1/customers", b'{"code":"C9","name":"\xff\xfe"}'),
        id="json-invalid-utf8",
    ),
    pytest.param(
        Nasty(
            "POST", "/api/v1/auth/login", b'{"user_code":"\xed\xa0\x80","pin":"1234"}', role=None
        ),
        id="login-invalid-utf8-public",
    ),
    pytest.param(
        Nasty("POST", "/api/v1/import/customers?format=json", b'[{"code":"C7","name":"\xff"}]'),
        id="import-json-invalid-utf8",
    ),
    # 10 MB JSON arrays, and one over the body limit
    pytest.param(Nasty("POST", "/api/v1/customers", lambda: _json_ints(5_000_000)), id="json-10mb"),
    pytest.param(
        Nasty("POST", "/api/v1/import/skus?format=json", lambda: _json_ints(500_000)),
        id="import-json-1mb",
    ),
    pytest.param(
        Nasty("POST", "/api/v1/ledger/movements", lambda: _json_ints(11_000_000)),
        id="json-over-limit",
    ),
    # deeply nested JSON
    pytest.param(
        Nasty("POST", "/api/v1/customers", _nested(10_000)),
        id="json-nested-10k",
    ),
    pytest.param(
        Nasty("POST", "/api/v1/auth/login", b'{"pin":' + _nested(10_000) + b"}", role=None),
        id="login-nested-10k-public",
    ),
    pytest.param(
        Nasty("POST", "/api/v1/import/customers?format=json", _nested(10_000)),
        id="import-json-nested-10k",
    ),
    # huge numbers
    pytest.param(
        Nasty("POST", "/api/v1/ledger/movements", MOVEMENT % b"1e400"), id="quantity-1e400"
    ),
    pytest.param(
        Nasty("POST", "/api/v1/ledger/movements", MOVEMENT % str(2**70).encode()),
        id="quantity-2**70",
    ),
    pytest.param(Nasty("GET", f"/api/v1/skus?limit={2**70}"), id="limit-2**70"),
    pytest.param(Nasty("GET", "/api/v1/locations?limit=1e400"), id="limit-1e400"),
    pytest.param(
        Nasty("GET", f"/api/v1/skus?offset={2**70}"),
        id="skus-offset-2**70",
    ),
    pytest.param(
        Nasty("GET", f"/api/v1/locations?offset={BIG}", role="picker"),
        id="locations-offset-2**63",
    ),
    pytest.param(
        Nasty("GET", f"/api/v1/events?after={BIG}"),
        id="events-after-2**63",
    ),
    pytest.param(
        Nasty(
            "POST",
            "/api/v1/locations",
            b'{"code":"Z-9","zone":"Z","type":"storage","capacity":%d}' % BIG,
        ),
        id="location-capacity-2**63",
    ),
    pytest.param(
        Nasty(
            "POST",
            "/api/v1/import/locations?format=csv",
            b"code,zone,type,pick_sequence\nZ-6,Z,storage,%d\n" % 2**70,
            content_type="text/csv",
        ),
        id="import-csv-pick-sequence-2**70",
    ),
    # path parameters with %2F and ..
    pytest.param(Nasty("GET", "/api/v1/customers/%2F"), id="path-slash"),
    pytest.param(Nasty("GET", "/api/v1/customers/.."), id="path-dotdot"),
    pytest.param(Nasty("GET", "/api/v1/skus/C1/..%2F..%2Fetc%2Fpasswd"), id="path-traversal"),
    pytest.param(Nasty("POST", "/api/v1/users/..%2F/disable", b""), id="path-slash-post"),
    pytest.param(Nasty("POST", "/api/v1/import/..", b"[]"), id="import-kind-dotdot"),
    pytest.param(
        Nasty("GET", "/schema/nowhere", role=None),
        id="schema-unknown-path",
    ),
    # text/plain or multipart on JSON routes
    pytest.param(
        Nasty("POST", "/api/v1/customers", b'{"code":"C9","name":"x"', content_type="text/plain"),
        id="text-plain",
    ),
    pytest.param(
        Nasty(
            "POST",
            "/api/v1/customers",
            b'--b\r\nContent-Disposition: form-data; name="code"\r\n\r\nC9\r\n--b--\r\n',
            content_type="multipart/form-data; boundary=b",
        ),
        id="multipart",
    ),
    pytest.param(
        Nasty(
            "POST",
            "/api/v1/auth/login",
            b"user_code=admin01&pin=0000",
            content_type="application/x-www-form-urlencoded",
            role=None,
        ),
        id="login-form-urlencoded",
    ),
    pytest.param(
        Nasty(
            "POST",
            "/api/v1/import/customers",
            b'code,name\nC7,"' + b"x" * 200_000 + b'"\n',
            content_type="text/csv",
        ),
        id="import-csv-huge-field",
    ),
    # header values outside latin-1 (raw UTF-8 bytes), duplicate headers
    pytest.param(
        Nasty(
            "POST",
            "/api/v1/customers",
            b"{}",
            key=False,
            headers=(("Idempotency-Key", "键".encode()),),
        ),
        id="key-non-latin1",
    ),
    pytest.param(
        Nasty("POST", "/api/v1/customers", b"{}", headers=(("X-Device", "设备".encode()),)),
        id="device-non-latin1",
    ),
    pytest.param(
        Nasty(
            "GET", "/api/v1/users", role=None, headers=(("Authorization", "Bearer ключ".encode()),)
        ),
        id="bearer-non-latin1",
    ),
    pytest.param(
        Nasty(
            "POST",
            "/api/v1/customers",
            b'{"code":"C9","name":5}',
            key=False,
            headers=(("Idempotency-Key", "dup-a"), ("Idempotency-Key", "dup-b")),
        ),
        id="duplicate-keys",
    ),
    # LIKE patterns longer than SQLite accepts
    pytest.param(
        Nasty("GET", "/api/v1/skus?q=" + "x" * 60_000, role="picker"),
        id="skus-q-60k",
    ),
    pytest.param(
        Nasty("GET", "/api/v1/locations?prefix=" + "x" * 60_000),
        id="locations-prefix-60k",
    ),
]


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app behind the in-process client, with a little master data."""
    settings = Settings(
        database=DatabaseSettings(path=str(tmp_path_factory.mktemp("nasty") / "site.db"))
    )
    app = create_app(settings)
    with TestClient(app) as client:
        api = Api(client, app.state.db, settings)
        seed_basics(api)
        api.token("picker")
        yield api


@pytest.mark.parametrize("nasty", NASTY)
def test_nasty_input_gets_a_coded_4xx(
    floor: Api, nasty: Nasty, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bondfloor")
    headers: list[tuple[str, Any]] = []
    if nasty.role is not None:
        headers.append(("Authorization", f"Bearer {floor.token(nasty.role)}"))
    if nasty.key:
        headers.append(("Idempotency-Key", new_key("nasty")))
    if nasty.content_type and nasty.body is not None:
        headers.append(("Content-Type", nasty.content_type))
    headers += nasty.headers
    body = nasty.body() if callable(nasty.body) else nasty.body

    before = floor.db.read(fingerprint)
    answer = floor.client.request(nasty.method, nasty.url, headers=headers, content=body)
    note = f"\n{nasty.method} {nasty.url[:200]} -> {answer.status_code}: {answer.text[:500]}\n{caplog.text}"

    assert answer.status_code < 500, f"server error{note}"
    if answer.status_code >= 400:
        try:
            error_shape(None, answer, None)
        except AssertionError as err:
            raise AssertionError(f"{err}{note}") from None
        assert floor.db.read(fingerprint) == before, f"a refused request changed the data{note}"
    assert not caplog.records, f"the server logged a warning or error{note}"
