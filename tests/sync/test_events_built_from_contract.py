"""Every event is built from its struct in the contract (server/sync/contract.py), so a
misnamed or missing field fails where the event is made, not at the OMS.

The server's source is read for `append_event(...)` calls whose payload is a dict; the
journal itself refuses a payload that is not its type's struct.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.commands import SYSTEM, append_event, run_command
from server.db import Database
from server.sync.contract import OrderShipped, OrderStateChanged

SERVER = Path(__file__).resolve().parents[2] / "server"


def _append_event_calls() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(SERVER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "append_event"
            ):
                yield f"{path.relative_to(SERVER)}:{node.lineno}", node


def _payload(call: ast.Call) -> ast.expr | None:
    named = [k.value for k in call.keywords if k.arg == "payload"]
    return named[0] if named else (call.args[3] if len(call.args) > 3 else None)


def _is_dict(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Dict | ast.DictComp) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
    )


def test_the_reader_finds_every_place_that_emits_an_event() -> None:
    # Guards the reader: if it found nothing, the check below would pass on any code.
    assert sum(1 for _ in _append_event_calls()) >= 19


def test_no_event_is_emitted_from_a_dict_literal() -> None:
    literals = [where for where, call in _append_event_calls() if _is_dict(_payload(call))]
    assert literals == [], "build the event from its struct in server/sync/contract.py"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "site.db")
    database.migrate()
    yield database
    database.close()


def _emit(db: Database, type_: str, payload: Any) -> None:
    run_command(
        db,
        SYSTEM,
        "test.event",
        f"k-{type_}-{type(payload).__name__}",
        {},
        lambda conn, ctx: append_event(conn, ctx, type_, payload),
    )


@pytest.mark.parametrize(
    ("type_", "payload"),
    [
        ("order.state_changed", {"order_no": "SO1", "from": "new", "to": "allocated"}),
        ("order.state_changed", OrderShipped(order_no="SO1", waybill_no="W1", list_no="L1")),
        ("order.unknown", {"order_no": "SO1"}),
    ],
    ids=["dict", "another-types-struct", "dict-of-a-type-not-in-contract"],
)
def test_the_journal_refuses_a_payload_that_is_not_its_types_struct(
    db: Database, type_: str, payload: Any
) -> None:
    with pytest.raises(TypeError):
        _emit(db, type_, payload)
    assert db.read(lambda c: c.execute("SELECT COUNT(*) FROM events").fetchone()[0]) == 0


def test_an_event_from_its_struct_is_journalled_as_the_oms_reads_it(db: Database) -> None:
    _emit(db, "order.state_changed", OrderStateChanged(order_no="SO1", from_="new", to="waved"))
    row = db.read(lambda c: c.execute("SELECT type, version, payload FROM events").fetchone())
    assert (row["type"], row["version"]) == ("order.state_changed", 1)
    assert msgspec.json.decode(row["payload"]) == {"order_no": "SO1", "from": "new", "to": "waved"}


def test_a_misnamed_field_fails_where_the_event_is_built() -> None:
    with pytest.raises(TypeError):
        OrderStateChanged(order_no="SO1", from_="new", state="waved")  # type: ignore[call-arg]
