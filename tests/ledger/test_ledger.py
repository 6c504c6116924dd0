"""Ledger rules by example: shapes, stock never negative, segregation, idempotent commands."""

from __future__ import annotations

import sqlite3

import msgspec
import pytest

from server.commands import Actor, run_command
from server.db import Database
from server.errors import Conflict, DomainError, InvalidInput, Unprocessable
from server.ledger.schemas import MovementIn
from server.ledger.service import balances_from_movements, post_movement, stored_balances
from tests.conftest import new_key

C1 = {"customer_id": 1, "sku_id": 1}
C2 = {"customer_id": 2, "sku_id": 2}
CLERK = Actor(kind="user", code="clerk", roles=frozenset({"supervisor"}), device="hh-7")


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    def seed(conn: sqlite3.Connection) -> dict[str, int]:
        conn.execute(
            "INSERT INTO customers (id, code, name) VALUES (1, 'C1', 'one'), (2, 'C2', 'two')"
        )
        conn.execute(
            "INSERT INTO skus (id, customer_id, code, name) VALUES (1, 1, 'S1', 'a'), (2, 2, 'S2', 'b')"
        )
        conn.execute(
            "INSERT INTO locations (id, code, zone, type, capacity, customer_id) VALUES "
            "(1, 'DOCK', 'D', 'dock', NULL, NULL), (2, 'A-1', 'A', 'storage', NULL, NULL), "
            "(3, 'A-2', 'A', 'storage', 10, NULL), (4, 'A-3', 'A', 'storage', NULL, 2), "
            "(5, 'OUT', 'O', 'outbound_lane', NULL, NULL)"
        )
        return {"dock": 1, "a1": 2, "a2": 3, "a3_c2": 4, "out": 5}

    return db._write(seed)


def move(db: Database, key: str | None = None, **fields: object) -> dict[str, object]:
    m = msgspec.convert(fields, MovementIn)
    return run_command(
        db,
        CLERK,
        "ledger.movement",
        key or new_key(),
        msgspec.to_builtins(m),
        lambda conn, ctx: post_movement(conn, ctx, m),
    ).value


def putaway(
    db: Database, quantity: int, src: int, dst: int, owner: dict[str, int] = C1, **extra: object
) -> dict[str, object]:
    return move(
        db,
        kind="putaway",
        **owner,
        quantity=quantity,
        from_location_id=src,
        to_location_id=dst,
        **extra,
    )


def on_hand(db: Database, location_id: int, sku_id: int) -> int:
    row = db.read(
        lambda conn: conn.execute(
            "SELECT SUM(quantity) FROM balances WHERE location_id = ? AND sku_id = ?",
            (location_id, sku_id),
        ).fetchone()
    )
    return int(row[0] or 0)


def test_receive_putaway_adjust_keep_balances_equal_to_movements(
    db: Database, ids: dict[str, int]
) -> None:
    move(
        db,
        kind="receive",
        **C1,
        quantity=10,
        to_location_id=ids["dock"],
        lot="L1",
        expiry="2027-01-31",
    )
    putaway(db, 6, ids["dock"], ids["a1"], lot="L1", expiry="2027-01-31")
    move(
        db,
        kind="adjust",
        reason="lost",
        **C1,
        quantity=2,
        from_location_id=ids["a1"],
        lot="L1",
        expiry="2027-01-31",
    )
    assert on_hand(db, ids["dock"], 1) == 4
    assert on_hand(db, ids["a1"], 1) == 4
    assert db.read(stored_balances) == db.read(balances_from_movements)


def test_taking_more_than_on_hand_is_refused_and_changes_nothing(
    db: Database, ids: dict[str, int]
) -> None:
    move(db, kind="receive", **C1, quantity=3, to_location_id=ids["dock"])
    with pytest.raises(Unprocessable) as err:
        putaway(db, 4, ids["dock"], ids["a1"])
    assert err.value.code == "INSUFFICIENT_STOCK"
    assert err.value.details == {"location_id": ids["dock"], "on_hand": 3, "requested": 4}
    assert on_hand(db, ids["dock"], 1) == 3
    assert on_hand(db, ids["a1"], 1) == 0


def test_a_lot_is_its_own_stock(db: Database, ids: dict[str, int]) -> None:
    move(db, kind="receive", **C1, quantity=5, to_location_id=ids["dock"], lot="A")
    with pytest.raises(Unprocessable):
        move(
            db,
            kind="adjust",
            reason="lost",
            **C1,
            quantity=1,
            from_location_id=ids["dock"],
            lot="B",
        )


def test_storage_refuses_a_second_customer(db: Database, ids: dict[str, int]) -> None:
    move(db, kind="receive", **C1, quantity=5, to_location_id=ids["dock"])
    move(db, kind="receive", **C2, quantity=5, to_location_id=ids["dock"])  # docks may mix
    putaway(db, 5, ids["dock"], ids["a1"])
    with pytest.raises(Unprocessable) as err:
        putaway(db, 5, ids["dock"], ids["a1"], owner=C2)
    assert err.value.code == "LOCATION_OTHER_CUSTOMER"
    # once empty, the location may take another customer's goods
    move(db, kind="adjust", reason="lost", **C1, quantity=5, from_location_id=ids["a1"])
    putaway(db, 5, ids["dock"], ids["a1"], owner=C2)
    assert on_hand(db, ids["a1"], 2) == 5


def test_the_database_itself_refuses_mixing_customers(db: Database, ids: dict[str, int]) -> None:
    move(db, kind="receive", **C1, quantity=5, to_location_id=ids["a1"])
    with pytest.raises(sqlite3.IntegrityError, match="LOCATION_OTHER_CUSTOMER"):
        db._write(
            lambda conn: conn.execute(
                "INSERT INTO balances (location_id, customer_id, sku_id, quantity) VALUES (?, 2, 2, 1)",
                (ids["a1"],),
            )
        )


def test_a_location_assigned_to_a_customer_takes_only_theirs(
    db: Database, ids: dict[str, int]
) -> None:
    move(db, kind="receive", **C1, quantity=5, to_location_id=ids["dock"])
    with pytest.raises(Unprocessable) as err:
        putaway(db, 5, ids["dock"], ids["a3_c2"])
    assert err.value.code == "LOCATION_OTHER_CUSTOMER"


def test_capacity_is_honoured(db: Database, ids: dict[str, int]) -> None:
    move(db, kind="receive", **C1, quantity=20, to_location_id=ids["dock"])
    putaway(db, 8, ids["dock"], ids["a2"])
    with pytest.raises(Unprocessable) as err:
        putaway(db, 3, ids["dock"], ids["a2"])
    assert err.value.code == "LOCATION_FULL"


def test_sku_of_another_customer_is_refused(db: Database, ids: dict[str, int]) -> None:
    with pytest.raises(Unprocessable) as err:
        move(db, kind="receive", customer_id=1, sku_id=2, quantity=1, to_location_id=ids["dock"])
    assert err.value.code == "SKU_OTHER_CUSTOMER"


@pytest.mark.parametrize(
    ("kind", "from_key", "to_key"),
    [
        ("receive", "dock", "a1"),
        ("ship", None, "a1"),
        ("putaway", "a1", "a1"),
        ("move", None, "a1"),
        ("adjust", "a1", "dock"),
    ],
)
def test_movement_shapes_are_checked(
    db: Database, ids: dict[str, int], kind: str, from_key: str | None, to_key: str | None
) -> None:
    with pytest.raises(InvalidInput) as err:
        move(
            db,
            kind=kind,
            **C1,
            quantity=1,
            reason="x",
            from_location_id=ids[from_key] if from_key else None,
            to_location_id=ids[to_key] if to_key else None,
        )
    assert err.value.code == "MOVEMENT_SHAPE"


def test_an_adjustment_needs_a_reason(db: Database, ids: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as err:
        move(db, kind="adjust", **C1, quantity=1, to_location_id=ids["a1"])
    assert err.value.code == "REASON_REQUIRED"


def test_replay_returns_the_first_result_and_changes_nothing(
    db: Database, ids: dict[str, int]
) -> None:
    first = move(db, key="scan-1", kind="receive", **C1, quantity=5, to_location_id=ids["dock"])
    again = move(db, key="scan-1", kind="receive", **C1, quantity=5, to_location_id=ids["dock"])
    assert again == first
    assert on_hand(db, ids["dock"], 1) == 5
    assert db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM movements").fetchone()[0]) == 1


def test_same_key_for_a_different_request_is_refused(db: Database, ids: dict[str, int]) -> None:
    move(db, key="scan-2", kind="receive", **C1, quantity=5, to_location_id=ids["dock"])
    with pytest.raises(Conflict) as err:
        move(db, key="scan-2", kind="receive", **C1, quantity=6, to_location_id=ids["dock"])
    assert err.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert on_hand(db, ids["dock"], 1) == 5


def test_movements_record_who_and_which_device(db: Database, ids: dict[str, int]) -> None:
    result = move(db, kind="receive", **C1, quantity=1, to_location_id=ids["dock"])
    assert (result["user_code"], result["device"]) == ("clerk", "hh-7")


def test_movements_are_append_only(db: Database, ids: dict[str, int]) -> None:
    move(db, kind="receive", **C1, quantity=1, to_location_id=ids["dock"])
    for sql in ("UPDATE movements SET quantity = 99", "DELETE FROM movements"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db._write(lambda conn, sql=sql: conn.execute(sql))


def test_events_are_written_in_the_same_transaction_with_rising_sequence(
    db: Database, ids: dict[str, int]
) -> None:
    move(db, kind="receive", **C1, quantity=5, to_location_id=ids["dock"])
    with pytest.raises(DomainError):
        move(db, kind="adjust", reason="lost", **C1, quantity=50, from_location_id=ids["dock"])
    move(db, kind="adjust", reason="lost", **C1, quantity=2, from_location_id=ids["dock"])
    events = db.read(
        lambda conn: conn.execute("SELECT seq, type FROM events ORDER BY seq").fetchall()
    )
    assert [e["type"] for e in events] == [
        "stock.receive",
        "stock.adjust",
    ]  # the refused one left none
    assert events[0]["seq"] < events[1]["seq"]


def test_a_refused_command_is_audited(db: Database, ids: dict[str, int]) -> None:
    with pytest.raises(DomainError):
        move(db, kind="adjust", reason="lost", **C1, quantity=50, from_location_id=ids["dock"])
    row = db.read(
        lambda conn: conn.execute("SELECT actor, outcome, code, device FROM audit").fetchone()
    )
    assert tuple(row) == ("user:clerk", "refused", "INSUFFICIENT_STOCK", "hh-7")


def test_a_key_never_returns_another_callers_result(db: Database, ids: dict[str, int]) -> None:
    move(db, key="shared", kind="receive", **C1, quantity=5, to_location_id=ids["dock"])
    other = Actor(kind="user", code="someone-else", roles=frozenset({"supervisor"}))
    m = MovementIn(kind="receive", **C1, quantity=5, to_location_id=ids["dock"])
    with pytest.raises(Conflict) as err:
        run_command(
            db,
            other,
            "ledger.movement",
            "shared",
            msgspec.to_builtins(m),
            lambda conn, ctx: post_movement(conn, ctx, m),
        )
    assert err.value.code == "IDEMPOTENCY_KEY_REUSED"


def test_the_event_carries_the_codes_the_oms_knows(db: Database, ids: dict[str, int]) -> None:
    move(db, kind="receive", **C1, quantity=4, to_location_id=ids["dock"], lot="L1")
    putaway(db, 4, ids["dock"], ids["a1"], lot="L1")
    payloads = db.read(
        lambda conn: [
            msgspec.json.decode(r[0])
            for r in conn.execute("SELECT payload FROM events ORDER BY seq")
        ]
    )
    last = payloads[-1]
    assert (
        last["kind"],
        last["customer"],
        last["sku"],
        last["from_location"],
        last["to_location"],
        last["lot"],
    ) == (
        "putaway",
        "C1",
        "S1",
        "DOCK",
        "A-1",
        "L1",
    )
    assert last["user_code"] == "clerk" and last["quantity"] == 4
