"""A closed statement's CSV and JSON are rendered once and kept: the kept bytes are the
fresh render's, byte for byte, and a re-opened, re-closed period answers its new version
while the old one says it is superseded."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from server.billing import service, statement_cache
from server.db import Database
from tests.billing.site import at, close, command, move
from tests.billing.test_periods import DOCK, _site


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    statement_cache.rendered_statements.clear()


def _fresh_csv(db: Database, statement_id: int) -> bytes:
    return db.read(
        lambda c: service.statement_csv(service.stored_statement(c, statement_id)).encode()
    )


def _fresh_json(db: Database, statement_id: int) -> bytes:
    return db.read(lambda c: msgspec.json.encode(service.stored_statement(c, statement_id)))


def _csv(db: Database, statement_id: int) -> bytes:
    return db.read(lambda c: statement_cache.statement_csv(c, statement_id))[1]


def _json(db: Database, statement_id: int) -> bytes:
    return db.read(lambda c: statement_cache.statement_json(c, statement_id))


def test_a_kept_statement_answers_byte_identical_to_a_fresh_render(db: Database) -> None:
    _site(db)
    [summary] = close(db, at("2026-12-01"), "2026-11")["statements"]
    sid = summary["id"]

    first_csv, first_json = _csv(db, sid), _json(db, sid)
    assert len(statement_cache.rendered_statements) == 2  # both kept
    again_csv, again_json = _csv(db, sid), _json(db, sid)

    assert first_csv == again_csv == _fresh_csv(db, sid)
    assert first_json == again_json == _fresh_json(db, sid)
    assert len(statement_cache.rendered_statements) == 2  # answered from the cache


def test_a_reopened_and_reclosed_period_answers_the_new_version(db: Database) -> None:
    _site(db)
    first = close(db, at("2026-12-01"), "2026-11")["statements"][0]
    old_csv, old_json = _csv(db, first["id"]), _json(db, first["id"])
    command(
        db,
        at("2026-12-02"),
        "billing.reopen_period",
        lambda conn, ctx: service.reopen_period(conn, ctx, "2026-11", "late receipt found"),
    )
    move(db, at("2026-11-20"), "receive", 1, 5, None, DOCK)

    second = close(db, at("2026-12-03"), "2026-11")["statements"][0]

    new_csv, new_json = _csv(db, second["id"]), _json(db, second["id"])
    assert new_csv == _fresh_csv(db, second["id"]) != old_csv
    assert b"C1 2026-11 v2" in new_csv
    assert msgspec.json.decode(new_json)["version"] == 2
    assert msgspec.json.decode(new_json)["total_fen"] == first["total_fen"] + 5 * 10
    # the old statement keeps its lines and total, and now says it is superseded
    assert _csv(db, first["id"]) == old_csv
    assert _json(db, first["id"]) == _fresh_json(db, first["id"]) != old_json
    assert msgspec.json.decode(_json(db, first["id"]))["state"] == "superseded"


def test_the_same_statement_id_in_another_site_file_answers_that_files_statement(
    db: Database, tmp_path: Path
) -> None:
    _site(db)
    db.backup(tmp_path / "other.db")
    other = Database(tmp_path / "other.db")
    move(other, at("2026-11-20"), "receive", 1, 5, None, DOCK)  # only the other site's
    [mine] = close(db, at("2026-12-01"), "2026-11")["statements"]
    [theirs] = close(other, at("2026-12-01"), "2026-11")["statements"]
    assert (mine["id"], mine["version"]) == (theirs["id"], theirs["version"])
    assert mine["total_fen"] != theirs["total_fen"]

    assert _csv(db, mine["id"]) == _fresh_csv(db, mine["id"])
    assert _csv(other, theirs["id"]) == _fresh_csv(other, theirs["id"])
    assert _json(db, mine["id"]) == _fresh_json(db, mine["id"])
    assert _json(other, theirs["id"]) == _fresh_json(other, theirs["id"])
