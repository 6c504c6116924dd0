"""Each slice writes only its own tables: another slice's table changes through a function of
its owner (called inside the caller's transaction), so its rules stay in one place.

The slices' SQL is read, not run: every INSERT, UPDATE, DELETE and REPLACE in the string
literals of server/<slice>/*.py is checked against the one ownership map below.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "server"

# table -> the slice (server/<slice>/) that owns it and alone writes it.
OWNER = {
    # master data
    "customers": "masterdata",
    "skus": "masterdata",
    "sku_barcodes": "masterdata",
    "locations": "masterdata",
    # the stock ledger
    "movements": "ledger",
    "balances": "ledger",
    "adjustment_proposals": "ledger",
    # people and devices
    "users": "auth",
    "sessions": "auth",
    "api_tokens": "auth",
    "station_scans": "stations",
    "station_state": "stations",
    # inbound
    "delivery_plans": "inbound",
    "plan_lines": "inbound",
    "receipt_scans": "inbound",
    "receipt_differences": "inbound",
    # outbound
    "orders": "outbound",
    "order_lines": "outbound",
    "customs_statuses": "outbound",
    "allocations": "outbound",
    "waves": "outbound",
    "order_tasks": "outbound",
    "pick_shortages": "outbound",
    "pack_scans": "outbound",
    "parcels": "outbound",
    # the dock
    "loading_lists": "dock",
    "loading_list_parcels": "dock",
    # printing
    "print_jobs": "printing",
    "printer_status": "printing",
    "sscc_serials": "labels",
    "carton_labels": "labels",
    # control
    "count_tasks": "counts",
    "count_lines": "counts",
    "count_proposals": "counts",
    "alerts": "alerts",
    "safety_levels": "alerts",
    "reconciliations": "reconcile",
    "reconciliation_differences": "reconcile",
    # the link to the OMS
    "sync_cursor": "sync",
    "sync_skips": "sync",
    # billing the cargo owners
    "billing_tariffs": "billing",
    "billing_tariff_rates": "billing",
    "billing_services": "billing",
    "billing_periods": "billing",
    "billing_statements": "billing",
    "billing_statement_lines": "billing",
    "billing_line_sources": "billing",
    "billing_credits": "billing",
}
# Folders of server/ that are not slices of the floor's database, and why.
NOT_SLICES = {
    "db": "connections and migrations: the schema itself",
    "omssim": "the OMS simulator, which keeps its own database file",
}
WRITE = re.compile(
    # `UPDATE SET` is an upsert's `ON CONFLICT ... DO UPDATE SET`: its INSERT names the table.
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?!\s+SET\b)|DELETE\s+FROM|REPLACE\s+INTO)\s+(\w+)"
)


def _literals(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every string literal, with an f-string's constant parts joined."""
    in_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v for v in node.values if isinstance(v, ast.Constant)]
            in_fstrings |= {id(p) for p in parts}
            yield node.lineno, " ".join(str(p.value) for p in parts)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in in_fstrings  # ast.walk reaches the f-string first
        ):
            yield node.lineno, node.value


def writes_in(source: str) -> list[tuple[int, str]]:
    """(line, table) of each write statement in the source's string literals."""
    found = []
    for line, text in _literals(ast.parse(source)):
        found += [(line, table) for table in WRITE.findall(text)]
    return found


def _slice_writes() -> Iterator[tuple[str, str, int, str]]:
    """(slice, file, line, table) of every write in server/<slice>/*.py."""
    for folder in sorted(p for p in SERVER.iterdir() if (p / "__init__.py").exists()):
        if folder.name in NOT_SLICES:
            continue
        for path in sorted(folder.rglob("*.py")):
            where = str(path.relative_to(SERVER))
            for line, table in writes_in(path.read_text(encoding="utf-8")):
                yield folder.name, where, line, table


def test_the_reader_finds_writes_in_plain_and_formatted_sql() -> None:
    source = (
        'a = "INSERT INTO print_jobs (x) VALUES (?)"\n'
        'b = f"UPDATE parcels SET status = {s!r} " "WHERE id = ?"\n'
        'c = "INSERT INTO t (k) VALUES (1) ON CONFLICT (k) DO UPDATE SET k = 2"\n'
        'd = "DELETE FROM balances WHERE quantity = 0"\n'
    )
    assert writes_in(source) == [(1, "print_jobs"), (2, "parcels"), (3, "t"), (4, "balances")]


def test_every_table_a_slice_writes_has_an_owner() -> None:
    writes = list(_slice_writes())
    assert len(writes) > 80  # the reader works: the slices do write
    unowned = [f"{where}:{line} {table}" for _, where, line, table in writes if table not in OWNER]
    assert unowned == [], "add the table to OWNER with the slice that owns it"


def test_slices_write_only_their_own_tables() -> None:
    foreign = [
        f"{where}:{line} writes {table} of {OWNER[table]}"
        for slice_, where, line, table in _slice_writes()
        if table in OWNER and OWNER[table] != slice_
    ]
    assert foreign == [], "call a function of the owning slice instead"


def test_every_owner_is_a_slice_that_writes_its_tables() -> None:
    written = {(slice_, table) for slice_, _, _, table in _slice_writes()}
    assert {(owner, table) for table, owner in OWNER.items()} <= written
