"""What a declared route answers: a created thing's 201, a secret shown once and never
stored, a file (CSV) from a declared query."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar, Response, get, post
from litestar.di import Provide
from litestar.testing import TestClient

from server.commands import SYSTEM, CommandContext
from server.db import Database
from server.declare import command, query
from server.errors import DomainError
from server.web import PUBLIC, allow, handle_domain_error


class NewKey(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str


class KeyMade(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    secret: str | None = None


@command(
    post,
    "/keys",
    name="key.make",
    roles=allow(PUBLIC),
    payload=NewKey,
    answer=KeyMade,
    tags=["test"],
    status_code=201,
    shown_once=("secret",),
)
def make_key(conn: sqlite3.Connection, ctx: CommandContext, data: NewKey) -> KeyMade:
    """Make a key whose secret only its first caller sees."""
    conn.execute("CREATE TABLE IF NOT EXISTS made (name TEXT)")
    conn.execute("INSERT INTO made VALUES (?)", (data.name,))
    return KeyMade(name=data.name, secret=secrets.token_hex(8))


@query(
    get,
    "/made.csv",
    roles=allow(PUBLIC),
    answer=Response[bytes],
    tags=["test"],
    media_type="text/csv",
)
def made_csv(conn: sqlite3.Connection) -> Response[bytes]:
    """The keys made, as CSV."""
    names = [r[0] for r in conn.execute("SELECT name FROM made ORDER BY name")]
    return Response("\r\n".join(["name", *names]).encode(), media_type="text/csv; charset=utf-8")


@pytest.fixture
def small_app(db: Database) -> Iterator[TestClient[Any]]:
    app = Litestar(
        route_handlers=[make_key, made_csv],
        dependencies={
            "db": Provide(lambda: db, sync_to_thread=False),
            "actor": Provide(lambda: SYSTEM, sync_to_thread=False),
        },
        exception_handlers={DomainError: handle_domain_error},
    )
    with TestClient(app) as client:
        yield client


def test_a_declared_command_that_creates_answers_201(small_app: TestClient[Any]) -> None:
    made = small_app.post("/keys", json={"name": "a"}, headers={"Idempotency-Key": "k1"})
    assert made.status_code == 201, made.text
    document = small_app.get("/schema/openapi.json").json()
    assert set(document["paths"]["/keys"]["post"]["responses"]) >= {"201"}


def test_a_field_shown_once_reaches_the_first_caller_only_and_is_never_stored(
    small_app: TestClient[Any], db: Database
) -> None:
    first = small_app.post("/keys", json={"name": "b"}, headers={"Idempotency-Key": "k2"})
    secret = first.json()["secret"]
    assert list(first.json()) == ["name", "secret"]
    replay = small_app.post("/keys", json={"name": "b"}, headers={"Idempotency-Key": "k2"})
    assert (replay.status_code, replay.json()) == (201, {"name": "b"})
    stored = db.read(lambda conn: "\n".join(conn.iterdump()))
    assert secret not in stored


def test_a_declared_query_answers_a_file_with_its_media_type(small_app: TestClient[Any]) -> None:
    small_app.post("/keys", json={"name": "c"}, headers={"Idempotency-Key": "k3"})
    report = small_app.get("/made.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    assert report.text.splitlines() == ["name", "c"]
    document = small_app.get("/schema/openapi.json").json()
    assert "text/csv" in document["paths"]["/made.csv"]["get"]["responses"]["200"]["content"]
