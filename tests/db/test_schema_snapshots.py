"""A shipped migration is frozen: what each one does to the schema of a new database is checked in
(tests/db/schema/), and a change to it fails here. A new migration adds its snapshot with
`python -m tests.db.schema_snapshots`."""

from __future__ import annotations

from server.db.migrations import migrations
from tests.db.schema_snapshots import SNAPSHOTS, change_of_each_migration, snapshot_path


def test_each_migration_still_makes_the_schema_it_shipped_with() -> None:
    missing = []
    for name, change in change_of_each_migration():
        path = snapshot_path(name)
        if not path.exists():
            missing.append(name)
            continue
        assert change == path.read_text(encoding="utf-8"), (
            f"{name} no longer makes the schema it shipped with: a shipped migration is "
            "frozen, put the change in a new migration"
        )
    assert not missing, (
        f"no schema snapshot for {', '.join(missing)}: run `python -m tests.db.schema_snapshots` "
        "and check in what it writes"
    )


def test_every_snapshot_is_of_a_migration_that_still_exists() -> None:
    names = {m.name for m in migrations._migrations}
    assert {path.stem for path in SNAPSHOTS.glob("*.sql")} <= names
