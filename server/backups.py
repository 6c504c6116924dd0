"""Scheduled online backups with retention, run by a worker in the server.

Each backup is `Database.backup`'s consistent copy (its own read connection: WAL lets the
floor go on writing while it runs), written under a temporary name and renamed when
complete, so a file named like a backup is always a whole one. Files are named by site and
UTC time, `SITE1-20261206T020000Z.db`, so they sort by age and several sites can share one
NAS folder. Which backups exist is read from the folder, so a restarted server keeps the
schedule.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from server import clock
from server.config import BackupSettings, Settings
from server.db import Database

log = logging.getLogger("bondfloor.backup")

CHECK_SECONDS = 60.0
"""How often the worker asks whether a backup is due."""

_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class BackupFile:
    path: Path
    at: datetime  # UTC, from the name


def backup_name(site: str, at: datetime) -> str:
    return f"{site}-{at.astimezone(UTC).strftime(_STAMP)}.db"


def list_backups(folder: Path, site: str) -> list[BackupFile]:
    """This site's backup files in `folder`, oldest first (other files are left alone)."""
    pattern = re.compile(rf"^{re.escape(site)}-(\d{{8}}T\d{{6}}Z)\.db$")
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = pattern.match(path.name)
            if match and path.is_file():
                at = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
                found.append(BackupFile(path, at))
    return sorted(found, key=lambda b: b.at)


def is_due(settings: Settings, last: datetime | None, now: datetime) -> bool:
    """No backup yet; or, with `daily_at`, none since today's (else yesterday's) time on the
    site's clock; else none in the last `every_hours`."""
    if last is None:
        return True
    b = settings.backup
    if b.daily_at:
        zone = zoneinfo.ZoneInfo(settings.site.timezone)
        local = now.astimezone(zone)
        hour, minute = (int(part) for part in b.daily_at.split(":"))
        slot = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
        if slot > local:
            slot -= timedelta(days=1)
        return last < slot
    return now - last >= timedelta(hours=b.every_hours)


def make_backup(db: Database, site: str, folder: Path, now: datetime | None = None) -> Path:
    """A consistent copy of the live database in `folder`, named by site and time."""
    now = now or clock.now()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / backup_name(site, now)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    db.backup(partial)
    partial.rename(target)
    return target


def prune(backups: list[BackupFile], b: BackupSettings, now: datetime) -> list[Path]:
    """Delete the files beyond retention: the newest `keep` stay, and every file younger
    than `keep_days` (when set). Returns what was deleted."""
    newest_first = sorted(backups, key=lambda f: f.at, reverse=True)
    young = now - timedelta(days=b.keep_days) if b.keep_days else None
    removed = []
    for rank, f in enumerate(newest_first):
        if rank < b.keep or (young is not None and f.at >= young):
            continue
        f.path.unlink(missing_ok=True)
        removed.append(f.path)
    return removed


def run_scheduled_backup(
    db: Database, settings: Settings, now: datetime | None = None
) -> Path | None:
    """The worker's step: make a backup when one is due, then prune. Returns the new file."""
    now = now or clock.now()
    folder = Path(settings.backup.folder)
    site = settings.site.code
    existing = list_backups(folder, site)
    if not is_due(settings, existing[-1].at if existing else None, now):
        return None
    made = make_backup(db, site, folder, now)
    removed = prune(list_backups(folder, site), settings.backup, now)
    log.info(
        "backup written to %s (%.1f MB)%s",
        made,
        made.stat().st_size / 1e6,
        f"; {len(removed)} old backup(s) removed" if removed else "",
    )
    return made
