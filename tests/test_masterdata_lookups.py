"""The shared master data lookups: one place finds a customer, SKU or location, and each
refusal keeps the code and message the slices answered before; no slice keeps its own copy."""

from __future__ import annotations

import ast
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Settings
from server.db import Database
from server.errors import DomainError
from server.masterdata.lookups import (
    CustomerRow,
    LocationRow,
    SkuRow,
    customer_by_code,
    location_by_code,
    location_by_id,
    sku_by_code,
    sku_by_id,
    sku_of_customer,
)

SERVER = Path(__file__).resolve().parent.parent / "server"
LOOKUPS = SERVER / "masterdata" / "lookups.py"
LOOKED_UP = {"CUSTOMER_NOT_FOUND", "SKU_NOT_FOUND", "SKU_AMBIGUOUS", "LOCATION_NOT_FOUND"}
# Refusals of these codes that are not a lookup of one record, and why.
NOT_A_LOOKUP = {
    # The public reads answer the full record (GET /customers/{code}, ...).
    ("masterdata/service.py", "get_customer"),
    ("masterdata/service.py", "get_sku"),
    ("masterdata/service.py", "get_location"),
    # An import checks every row against the customers read once for the whole file.
    ("masterdata/service.py", "_customer_id"),
    # A document's lines are checked together: every missing SKU is named in one refusal.
    ("inbound/service.py", "_resolve_lines"),
    ("outbound/orders.py", "_resolve_lines"),
    ("alerts/service.py", "set_safety_levels"),
}


def _seed(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        INSERT INTO customers (id, code, name) VALUES (1, 'C1', 'One'), (2, 'C2', 'Two');
        INSERT INTO customers (id, code, name, active) VALUES (3, 'GONE', 'Gone', 0);
        INSERT INTO skus (id, customer_id, code, name, lot_tracked) VALUES
            (10, 1, 'S1', 'Soap', 1), (11, 2, 'S1', 'Soap too', 0), (12, 2, 'S2', 'Shampoo', 0);
        INSERT INTO skus (id, customer_id, code, name, active) VALUES (13, 1, 'OLD', 'Old', 0);
        INSERT INTO locations (id, code, zone, type, customer_id) VALUES
            (20, 'A-01-01-1', 'A', 'storage', 1), (21, 'B-01-01-1', 'B', 'storage', NULL);
        INSERT INTO locations (id, code, zone, type, active) VALUES
            (22, 'Z-99', 'Z', 'storage', 0);
        """
    )


@pytest.fixture
def conn(db: Database, settings: Settings) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(settings.database.path)
    connection.row_factory = sqlite3.Row
    _seed(connection)
    yield connection
    connection.close()


def _refusal(err: pytest.ExceptionInfo[DomainError]) -> tuple[str, int, str]:
    return err.value.code, err.value.status_code, str(err.value)


def test_a_customer_is_found_by_code_and_an_inactive_one_only_when_asked(
    conn: sqlite3.Connection,
) -> None:
    assert customer_by_code(conn, "C1") == CustomerRow(id=1, code="C1", active=True)
    assert customer_by_code(conn, "GONE").active is False
    with pytest.raises(DomainError) as err:
        customer_by_code(conn, "GONE", active_only=True)
    assert _refusal(err) == ("CUSTOMER_NOT_FOUND", 404, "no customer GONE")
    assert err.value.details == {"customer": "GONE"}


def test_a_sku_is_found_by_id_with_its_owner_and_tracking(conn: sqlite3.Connection) -> None:
    assert sku_by_id(conn, 10) == SkuRow(
        id=10,
        code="S1",
        name="Soap",
        customer_id=1,
        customer="C1",
        lot_tracked=True,
        expiry_tracked=False,
        active=True,
    )
    assert sku_by_id(conn, 13).active is False
    with pytest.raises(DomainError) as err:
        sku_by_id(conn, 13, active_only=True)
    assert _refusal(err) == ("SKU_NOT_FOUND", 404, "no SKU 13")


def test_a_sku_of_a_customer_is_refused_as_a_missing_sku_even_for_an_unknown_customer(
    conn: sqlite3.Connection,
) -> None:
    assert sku_of_customer(conn, "C2", "S1").id == 11
    for customer, code in (("C1", "S2"), ("NOBODY", "S1")):
        with pytest.raises(DomainError) as err:
            sku_of_customer(conn, customer, code)
        assert _refusal(err) == ("SKU_NOT_FOUND", 404, f"no SKU {code}")


def test_a_sku_by_code_alone_needs_the_customer_when_two_have_that_code(
    conn: sqlite3.Connection,
) -> None:
    assert sku_by_code(conn, "S2").customer == "C2"
    assert sku_by_code(conn, "S1", "C1").id == 10
    with pytest.raises(DomainError) as ambiguous:
        sku_by_code(conn, "S1")
    assert ambiguous.value.code == "SKU_AMBIGUOUS"
    assert ambiguous.value.details == {"sku": "S1", "customers": ["C1", "C2"]}
    with pytest.raises(DomainError) as no_customer:
        sku_by_code(conn, "S1", "NOBODY")
    assert _refusal(no_customer) == ("CUSTOMER_NOT_FOUND", 404, "no customer NOBODY")
    with pytest.raises(DomainError) as missing:
        sku_by_code(conn, "S9", "C1")
    assert _refusal(missing) == ("SKU_NOT_FOUND", 404, "no SKU S9")
    assert missing.value.details == {"sku": "S9", "customer": "C1"}


def test_a_location_is_found_by_code_in_any_case_only_when_asked(
    conn: sqlite3.Connection,
) -> None:
    assert location_by_code(conn, "A-01-01-1") == LocationRow(
        id=20,
        code="A-01-01-1",
        zone="A",
        type="storage",
        capacity=None,
        customer_id=1,
        customer="C1",
        active=True,
    )
    assert location_by_code(conn, "b-01-01-1", any_case=True).customer == ""
    with pytest.raises(DomainError) as err:
        location_by_code(conn, "b-01-01-1")
    assert _refusal(err) == ("LOCATION_NOT_FOUND", 404, "no location b-01-01-1")


def test_an_inactive_location_is_found_only_for_history(conn: sqlite3.Connection) -> None:
    assert location_by_code(conn, "Z-99", active_only=False).id == 22
    assert location_by_id(conn, 22, active_only=False).code == "Z-99"
    for find in (lambda: location_by_code(conn, "Z-99"), lambda: location_by_id(conn, 22)):
        with pytest.raises(DomainError) as err:
            find()
        assert err.value.code == "LOCATION_NOT_FOUND"
    assert str(err.value) == "no location 22"


def _lookup_refusals() -> list[tuple[str, str, str]]:
    """(file, function, code) of every `raise ERR.<looked-up code>` outside the lookups."""
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        if path == LOOKUPS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Raise) or node.exc is None:
                    continue
                call = node.exc
                func = call.func if isinstance(call, ast.Call) else call
                if isinstance(func, ast.Attribute) and func.attr == "answered_as":
                    func = func.value
                if (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "ERR"
                    and func.attr in LOOKED_UP
                ):
                    where = str(path.relative_to(SERVER))
                    found.append((where, function.name, func.attr))
    return found


def test_the_reader_finds_the_lookup_refusals_it_allows() -> None:
    # Guards the reader: if it found nothing, the check below would pass on any code.
    assert {(f, fn) for f, fn, _ in _lookup_refusals()} == NOT_A_LOOKUP


def test_no_slice_keeps_its_own_customer_sku_or_location_lookup() -> None:
    copies = [r for r in _lookup_refusals() if (r[0], r[1]) not in NOT_A_LOOKUP]
    assert copies == [], "use server/masterdata/lookups.py instead of a private lookup"
