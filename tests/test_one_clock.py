"""One clock: server/ reads the time of day only through server/clock.py, devices/ only
through devices/clock.py, so a test can move time instead of sleeping.

Forbidden elsewhere: `datetime.now`, `datetime.utcnow`, `datetime.today`, `date.today`,
`time.time`, `time.time_ns` (however imported), and SQL that asks SQLite for the time
('now', CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME). `time.monotonic` and
`time.perf_counter` stay allowed: they measure real waiting, not the time of day.
Frozen migrations are exempt.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devices import clock as device_clock
from server import clock
from server.clock import ManualClock

ROOT = Path(__file__).resolve().parents[1]
CLOCKS = {"server/clock.py", "devices/clock.py"}
EXEMPT = ("server/db/migrations/",)
READS = {
    "datetime.now",
    "datetime.utcnow",
    "datetime.today",
    "date.today",
    "time.time",
    "time.time_ns",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.date.today",
}
SQL_NOW = re.compile(r"'now'|\bCURRENT_(TIMESTAMP|DATE|TIME)\b", re.IGNORECASE)


def direct_clock_reads(source: str) -> list[str]:
    """Every place `source` reads the time of day itself, as `line: what`."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in READS:
            found.append(f"{node.lineno}: {ast.unparse(node.func)}()")
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [
                f"{node.lineno}: from time import {a.name}"
                for a in node.names
                if a.name in ("time", "time_ns")
            ]
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_NOW.search(node.value)
        ):
            found.append(f"{node.lineno}: SQL asks SQLite for the time")
    return found


def test_server_and_devices_read_the_time_only_through_their_clock() -> None:
    offenders = {}
    for top in ("server", "devices"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel in CLOCKS or rel.startswith(EXEMPT):
                continue
            if reads := direct_clock_reads(path.read_text(encoding="utf-8")):
                offenders[rel] = reads
    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import datetime, UTC\nx = datetime.now(UTC)\n",
        "import datetime\nx = datetime.datetime.now()\n",
        "from datetime import date\nx = date.today()\n",
        "import time\nx = time.time()\n",
        "from time import time\n",
        "SQL = \"SELECT strftime('%Y', 'now')\"\n",
        'SQL = "UPDATE t SET at = CURRENT_TIMESTAMP"\n',
    ],
)
def test_a_direct_clock_read_is_caught(source: str) -> None:
    assert direct_clock_reads(source)


def test_durations_are_not_clock_reads() -> None:
    assert direct_clock_reads("import time\na = time.monotonic()\nb = time.perf_counter()\n") == []


def test_a_manual_clock_stands_still_until_moved() -> None:
    start = datetime(2026, 3, 1, 23, 59, 30, tzinfo=UTC)
    manual = ManualClock(start)
    assert manual.now() == start
    assert manual.advance(seconds=45) == start + timedelta(seconds=45)
    with clock.use(manual):
        assert clock.now() == start + timedelta(seconds=45)
        assert clock.stamp() == "2026-03-02T00:00:15.000+00:00"
        assert clock.today("Asia/Shanghai").isoformat() == "2026-03-02"
    assert clock.now() > start + timedelta(days=100)  # the machine's clock again
    with pytest.raises(ValueError):
        manual.advance(seconds=-1)


def test_a_following_manual_clock_runs_with_the_machine_plus_its_advance() -> None:
    manual = ManualClock()
    before = manual.now()
    manual.advance(hours=2)
    assert manual.now() - before >= timedelta(hours=2)
    assert manual.now() <= datetime.now(UTC) + timedelta(hours=2, seconds=5)


def test_the_device_clock_can_be_replaced() -> None:
    fixed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with device_clock.use(lambda: fixed):
        assert device_clock.stamp() == "2026-01-02T03:04:05.000+00:00"
    assert device_clock.now() != fixed
