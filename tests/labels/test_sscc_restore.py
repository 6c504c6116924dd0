"""No SSCC is given twice across a restore: `bondfloor backup`, SSCCs allocated after it,
`bondfloor restore` of that backup (real processes), and the SSCCs allocated next are none
of those printed after the backup. The counter jumps by the setting's gap, or by the
file's own busiest day of labels times the days since its last write, and the restore is
refused, changing nothing, when the prefix has no room left for that."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.config import LabelSettings, Settings, SiteSettings
from server.labels.service import allocate_ssccs
from tests.live_server import BONDFLOOR

PREFIX = "6901234"  # 9-digit serial references
SHORT_PREFIX = "690123456789"  # 12 digits: 4-digit serial references, 9999 in all


def bf(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BONDFLOOR), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def make_site(tmp_path: Path, prefix: str, gap: int) -> tuple[Path, Path]:
    config, database = tmp_path / "site.toml", tmp_path / "site.db"
    config.write_text(
        f'[site]\ngs1_company_prefix = "{prefix}"\n[database]\npath = "{database}"\n'
        f"[labels]\nsscc_restore_gap = {gap}\n"
    )
    seeded = bf(config, "demo")
    assert seeded.returncode == 0, seeded.stderr
    return config, database


def allocate(database: Path, prefix: str, count: int) -> list[str]:
    """What a carton label request does to the counter, on the file itself."""
    settings = Settings(site=SiteSettings(gs1_company_prefix=prefix), labels=LabelSettings())
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        got = allocate_ssccs(conn, settings, count)
        conn.execute("COMMIT")
        return got
    finally:
        conn.close()


def busy_days(database: Path, per_day: int, days_ago: list[int]) -> None:
    """`per_day` carton labels on each of those days (the file's own rate of allocation)."""
    now = datetime.now(UTC)
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for ago in days_ago:
            at = (now - timedelta(days=ago)).isoformat(timespec="milliseconds")
            for n in range(per_day):
                conn.execute(
                    "INSERT INTO carton_labels (sscc, plan_id, line_id, unit, count, "
                    "print_job_id, created_by, created_at) VALUES (?, 1, 1, 'carton', 0, 1, "
                    "'test', ?)",
                    (f"{ago:08d}{n:010d}", at),
                )
        conn.execute("COMMIT")
    finally:
        conn.close()


def last_serial(database: Path, prefix: str) -> int | None:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT last_serial FROM sscc_serials WHERE company_prefix = ?", (prefix,)
        ).fetchone()
        return None if row is None else int(row[0])
    finally:
        conn.close()


@pytest.mark.parametrize("before_backup", [5, 0], ids=["counter-in-backup", "none-yet"])
def test_ssccs_allocated_after_a_backup_are_not_allocated_again_after_restoring_it(
    tmp_path: Path, before_backup: int
) -> None:
    config, database = make_site(tmp_path, PREFIX, gap=1000)
    earlier = allocate(database, PREFIX, before_backup) if before_backup else []
    backup = tmp_path / "backup.db"
    assert bf(config, "backup", str(backup)).returncode == 0
    printed_after_backup = allocate(database, PREFIX, 7)

    done = bf(config, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert f"SSCC serials under {PREFIX}: the counter moved from {before_backup} to " in (
        done.stdout
    )
    assert last_serial(database, PREFIX) == before_backup + 1000

    next_ones = allocate(database, PREFIX, 20)
    assert not set(next_ones) & set(printed_after_backup)
    assert not set(next_ones) & set(earlier)
    assert int(next_ones[0][8:17]) == before_backup + 1001


def test_the_jump_follows_the_backups_busiest_day_when_that_is_more_than_the_gap(
    tmp_path: Path,
) -> None:
    config, database = make_site(tmp_path, PREFIX, gap=10)
    allocate(database, PREFIX, 3)
    busy_days(database, 40, days_ago=[5, 4])  # busiest day 40; the file's last write: now
    backup = tmp_path / "backup.db"
    assert bf(config, "backup", str(backup)).returncode == 0

    done = bf(config, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    # Twice the busiest day for each (begun) day since the last write: 2 × 40 × 1.
    assert last_serial(database, PREFIX) == 3 + 80
    assert "could have used 80" in done.stdout


def test_a_restore_the_prefix_has_no_room_for_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    config, database = make_site(tmp_path, SHORT_PREFIX, gap=10)
    allocate(database, SHORT_PREFIX, 4000)
    busy_days(database, 3000, days_ago=[1])  # 2 × 3000 = 6000 > the 5999 left
    backup = tmp_path / "backup.db"
    assert bf(config, "backup", str(backup)).returncode == 0
    allocate(database, SHORT_PREFIX, 2)

    refused = bf(config, "restore", str(backup))
    assert refused.returncode == 1
    assert "RESTORE_SSCC_SERIALS_SHORT" in refused.stderr
    assert "6000" in refused.stderr and "5999 left" in refused.stderr
    assert last_serial(database, SHORT_PREFIX) == 4002  # the live file is untouched
    assert not list(tmp_path.glob("site.db.replaced-*"))


def test_the_gap_is_capped_by_what_is_left_under_the_prefix(tmp_path: Path) -> None:
    config, database = make_site(tmp_path, SHORT_PREFIX, gap=100000)
    allocate(database, SHORT_PREFIX, 9000)
    backup = tmp_path / "backup.db"
    assert bf(config, "backup", str(backup)).returncode == 0

    done = bf(config, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert last_serial(database, SHORT_PREFIX) == 9999
    assert "; 0 left" in done.stdout
