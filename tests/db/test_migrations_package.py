"""Migrations are one frozen module each, applied in name order, under the names sites
already have recorded, and they import nothing of the live code."""

from __future__ import annotations

import ast
import re
import sqlite3
import sys
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils import Migrations

from server.db import migrations as package
from server.db.migrations import apply_migrations, load_migrations, migrations
from server.masterdata.schemas import LOCATION_TYPES, OUTBOUND_LOCATION_TYPES
from server.outbound.states import ORDER_STATES
from tests.db.schema_snapshots import new_database_schema, normalised_schema

# What sites have in their _sqlite_migrations, as the releases before this package wrote it.
SHIPPED_BEFORE_THE_PACKAGE = [
    "0001_master_data",
    "0002_ledger",
    "0003_auth_and_audit",
    "0004_inbound",
    "0005_inbound_speed",
    "0006_tote_and_parcel_locations",
    "0007_outbound",
    "0008_outbound_review",
    "0009_outbound_lookups",
    "0010_printer_status",
    "0011_stations",
    "0012_dock",
    "0013_sync",
    "0014_reconciliations",
    "0016_trace_indexes",
    "0017_alerts",
    "0015_counts",
    "0018_seal_locations",
    "0019_station_lot_label",
    "0020_journal_epoch",
    "0021_credentials",
    "0022_receipt_serial",
    "0023_alert_message_codes",
    "0024_user_admin",
]
MIGRATION_FILES = sorted(Path(package.__file__).parent.glob("m[0-9]*.py"))


def test_a_new_database_gets_the_migrations_in_name_order() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    applied = apply_migrations(conn)
    assert applied == sorted(applied)
    assert applied.index("0015_counts") < applied.index("0016_trace_indexes")
    assert [
        r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")
    ] == applied


def test_every_name_a_site_has_recorded_is_still_a_migration() -> None:
    names = [m.name for m in migrations._migrations]
    assert set(SHIPPED_BEFORE_THE_PACKAGE) <= set(names)
    assert names[: len(SHIPPED_BEFORE_THE_PACKAGE)] == sorted(SHIPPED_BEFORE_THE_PACKAGE)


@pytest.mark.parametrize("path", MIGRATION_FILES, ids=lambda p: p.stem)
def test_a_migration_imports_only_the_standard_library_and_sqlite_utils(path: Path) -> None:
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else (node.module or "").split(".")[0])
    assert imported - {"sqlite_utils"} <= set(sys.stdlib_module_names)


def test_a_database_that_applied_0016_and_0017_without_0015_gets_0015_and_the_rest() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    older = Migrations(migrations.name)  # a site upgraded before 0015_counts was added
    for m in migrations._migrations:
        if m.name < "0018" and m.name != "0015_counts":
            older(name=m.name, transactional=m.transactional)(m.fn)
    older.apply(sqlite_utils.Database(conn))
    applied = apply_migrations(conn)
    assert applied[0] == "0015_counts" and applied[1] == "0018_seal_locations"
    assert normalised_schema(conn) == new_database_schema()


RUNNER = {"migrations", "apply_migrations", "applied_migrations", "unknown_migrations"}


def test_live_code_takes_only_the_runner_from_the_migrations_never_a_constant() -> None:
    server = Path(package.__file__).parents[2]
    taken = set()
    for path in server.rglob("*.py"):
        if path.is_relative_to(Path(package.__file__).parent):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "server.db.migrations"
            ):
                taken |= {(node.module, alias.name) for alias in node.names}
    allowed = RUNNER | {"NewerDatabase"}
    assert {(module, name) for module, name in taken if name not in allowed} == set()
    assert {module for module, _ in taken} <= {"server.db.migrations"}


def _check_list(conn: sqlite3.Connection, table: str, column: str) -> set[str]:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    found = re.search(rf"\b{column} TEXT NOT NULL[^,]*CHECK \({column} IN \(([^)]*)\)\)", sql)
    assert found, f"no CHECK on {table}.{column}"
    return {v.strip().strip("'") for v in found.group(1).split(",")}


def test_the_domain_constants_are_the_lists_the_schema_checks() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_migrations(conn)
    assert _check_list(conn, "orders", "state") == set(ORDER_STATES)
    assert _check_list(conn, "locations", "type") == set(LOCATION_TYPES + OUTBOUND_LOCATION_TYPES)


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *modules: str) -> tuple[str, str]:
    """A throwaway migrations package of `modules`, importable for this test only."""
    name = "migrations_" + re.sub(r"\W", "_", tmp_path.name)
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    for module in modules:
        (root / f"{module}.py").write_text("def migrate(db):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name, str(root)


def test_two_migrations_with_one_number_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, path = _package(tmp_path, monkeypatch, "m0001_a", "m0002_b", "m0002_c")
    with pytest.raises(ImportError, match="numbers used twice: 0002"):
        load_migrations(name, [path])


def test_a_module_not_named_as_a_migration_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, path = _package(tmp_path, monkeypatch, "m0001_a", "m25_b")
    with pytest.raises(ImportError, match="m25_b"):
        load_migrations(name, [path])


def test_migrations_register_in_name_order_whatever_the_files_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, path = _package(tmp_path, monkeypatch, "m0003_c", "m0001_a", "m0002_b")
    try:
        loaded = load_migrations(name, [path])
    finally:
        for module in [m for m in sys.modules if m.split(".")[0] == name]:
            del sys.modules[module]
    assert [m.name for m in loaded._migrations] == ["0001_a", "0002_b", "0003_c"]
