"""A declared command's `then=` step answers from what the command committed, and a declared
query may answer a file with its own media type."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.testing import TestClient

from server.commands import SYSTEM, CommandContext
from server.db import Database
from server.declare import command, query
from server.errors import DomainError
from server.web import PUBLIC, allow, handle_domain_error


class Kept(msgspec.Struct, kw_only=True):
    id: int


class Report(msgspec.Struct, kw_only=True):
    id: int
    lines: list[str]
    woken: int


class Bell:
    """Stands for a worker the command wakes once its job is committed."""

    def __init__(self) -> None:
        self.rung: list[int] = []


def read_report(
    conn: sqlite3.Connection, kept: dict[str, Any], bell: NamedDependency[Bell]
) -> Report:
    bell.rung.append(kept["id"])
    lines = [r[0] for r in conn.execute("SELECT line FROM report_lines ORDER BY line")]
    return Report(id=kept["id"], lines=lines, woken=len(bell.rung))


@command(
    post,
    "/reports/{n:int}",
    name="report.make",
    roles=allow(PUBLIC),
    answer=Report,
    tags=["test"],
    then=read_report,
)
def make_report(conn: sqlite3.Connection, ctx: CommandContext, n: FromPath[int]) -> Kept:
    """Store a report of n lines; the key keeps only its id."""
    conn.execute("CREATE TABLE IF NOT EXISTS report_lines (line TEXT)")
    conn.executemany("INSERT INTO report_lines VALUES (?)", [(f"line {i}",) for i in range(n)])
    return Kept(id=n)


@query(
    get,
    "/files/{n:int}/data.csv",
    roles=allow(PUBLIC),
    answer=Response[bytes],
    tags=["test"],
    media_type="text/csv",
)
def csv_file(conn: sqlite3.Connection, n: FromPath[int]) -> Response[bytes]:
    """A file answer."""
    return Response(f"n\n{n}\n".encode(), media_type="text/csv; charset=utf-8")


@pytest.fixture
def small_app(db: Database) -> Iterator[tuple[TestClient[Any], Bell]]:
    bell = Bell()
    app = Litestar(
        route_handlers=[make_report, csv_file],
        dependencies={
            "db": Provide(lambda: db, sync_to_thread=False),
            "actor": Provide(lambda: SYSTEM, sync_to_thread=False),
            "bell": Provide(lambda: bell, sync_to_thread=False),
        },
        exception_handlers={DomainError: handle_domain_error},
    )
    with TestClient(app) as client:
        yield client, bell


def test_then_answers_from_the_committed_rows_and_the_key_keeps_only_the_rules_result(
    small_app: tuple[TestClient[Any], Bell], db: Database
) -> None:
    client, bell = small_app
    first = client.post("/reports/2", headers={"Idempotency-Key": "r1"})
    assert first.status_code == 200, first.text
    assert first.json() == {"id": 2, "lines": ["line 0", "line 1"], "woken": 1}
    stored = db.read(lambda conn: conn.execute("SELECT result FROM commands").fetchone()[0])
    assert stored == '{"id":2}'
    again = client.post("/reports/2", headers={"Idempotency-Key": "r1"})
    assert again.json()["lines"] == ["line 0", "line 1"]  # replayed, not made twice
    assert bell.rung == [2, 2]


def test_then_does_not_run_when_the_command_is_refused(
    small_app: tuple[TestClient[Any], Bell],
) -> None:
    client, bell = small_app
    refused = client.post("/reports/2")  # no Idempotency-Key
    assert refused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert bell.rung == []


def test_a_declared_query_answers_a_file_and_documents_its_media_type(
    small_app: tuple[TestClient[Any], Bell],
) -> None:
    client, _ = small_app
    answer = client.get("/files/3/data.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text == "n\n3\n"
    document = client.get("/schema/openapi.json").json()
    assert list(document["paths"]["/files/{n}/data.csv"]["get"]["responses"]["200"]["content"]) == [
        "text/csv"
    ]
