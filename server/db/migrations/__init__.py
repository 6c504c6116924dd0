"""Named, append-only schema migrations: one frozen module per migration, `mNNNN_name.py`,
recorded as `NNNN_name` in sqlite-utils' `_sqlite_migrations` table.

A new database gets them in name order. An existing one keeps what it has (sqlite-utils
matches by name) and gets only what it lacks, so a site that applied them in an older
order (0015_counts came after 0017_alerts until they moved here) sees no change.

Never edit a shipped migration: add the next number, `mNNNN_name.py` with a
`migrate(db)` (and `TRANSACTIONAL = False` if it runs its own transaction), then write its
schema snapshot with `python -m tests.db.schema_snapshots`. tests/db/schema/ holds what
each migration did to the schema, and a test fails when that changes.

A migration imports nothing of the live code: it keeps its own copy of any constant it
needs, as that constant was when it shipped.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sqlite3
from collections.abc import Iterable

import sqlite_utils
from sqlite_utils import Migrations

MODULE_NAME = re.compile(r"m\d{4}_[a-z0-9_]+")


def load_migrations(package: str, path: Iterable[str]) -> Migrations:
    """Every module of `package`, registered in name order under its name without the `m`."""
    modules = sorted(info.name for info in pkgutil.iter_modules(path))
    strays = [m for m in modules if not MODULE_NAME.fullmatch(m)]
    if strays:
        raise ImportError(f"not a migration module name (mNNNN_name): {', '.join(strays)}")
    numbers = [m[1:5] for m in modules]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        # Two branches took the same number: the later one must take the next free one.
        raise ImportError(f"migration numbers used twice: {', '.join(twice)}")
    loaded = Migrations("bondfloor")
    for module_name in modules:
        module = importlib.import_module(f"{package}.{module_name}")
        register = loaded(
            name=module_name[1:], transactional=getattr(module, "TRANSACTIONAL", True)
        )
        register(module.migrate)
    return loaded


migrations = load_migrations(__name__, __path__)


class NewerDatabase(Exception):
    """The database holds migrations this version does not know: a newer bondfloor made it,
    and this one would misread it (the way back from an upgrade is the backup before it)."""


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """The names of the migrations applied to `conn`'s database, oldest first."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    if found is None:
        return []
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
            (migrations.name,),
        )
    ]


def unknown_migrations(applied: list[str]) -> list[str]:
    """Applied migrations this version does not have."""
    return sorted(set(applied) - {m.name for m in migrations._migrations})


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply what is pending on `conn`; returns the names applied. A database from a newer
    version is refused (NewerDatabase) before anything is written."""
    unknown = unknown_migrations(applied_migrations(conn))
    if unknown:
        raise NewerDatabase(
            f"the database has migrations this version does not know ({', '.join(unknown)}): "
            "a newer bondfloor made it; install that version, or restore the backup taken "
            "before the upgrade (docs/operators-guide.md)"
        )
    db = sqlite_utils.Database(conn, execute_plugins=False)
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending
