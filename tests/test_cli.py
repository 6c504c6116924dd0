"""The `bondfloor` command, run as a real process on a real database file."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import ROLES

BONDFLOOR = str(Path(sys.executable).parent / "bondfloor")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "site.db"}"\n')
    return path


def bf(config: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BONDFLOOR, "--config", str(config), *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=60,
    )


def query(config: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(config.parent / "site.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_init_creates_the_database_once(config: Path) -> None:
    first = bf(config, "init")
    assert first.returncode == 0 and "applied 0001_master_data" in first.stdout
    again = bf(config, "init")
    assert "up to date" in again.stdout


def test_demo_seeds_a_believable_warehouse_and_is_idempotent(config: Path) -> None:
    done = bf(config, "demo")
    assert done.returncode == 0, done.stderr
    assert "sup01" in done.stdout and "PIN 1234" in done.stdout
    # A manager's demo badge is printed with its reminder: it needs the PIN too.
    assert any(
        line.split()[0] == "sup01" and "+ PIN" in line
        for line in done.stdout.splitlines()
        if line.strip()
    )
    counts = query(
        config,
        "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM skus), "
        "(SELECT COUNT(*) FROM locations), (SELECT COUNT(DISTINCT roles) FROM users), "
        "(SELECT COUNT(*) FROM movements)",
    )[0]
    assert (
        counts[0] == 3
        and counts[1] >= 300
        and counts[2] >= 300
        and counts[3] == len(ROLES)  # one demo user per role
        and counts[4] > 0
    )
    bf(config, "demo")
    assert query(config, "SELECT COUNT(*) FROM movements")[0][0] == counts[4]
    barcodes = [r[0] for r in query(config, "SELECT barcode FROM sku_barcodes")]
    from server.barcodes import check_gtin

    assert all(check_gtin(b) for b in barcodes)


def test_backup_writes_a_consistent_copy(config: Path, tmp_path: Path) -> None:
    bf(config, "demo")
    target = tmp_path / "backups" / "copy.db"
    done = bf(config, "backup", str(target))
    assert done.returncode == 0, done.stderr
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM movements").fetchone() == tuple(
        query(config, "SELECT COUNT(*) FROM movements")[0]
    )
    copy.close()
    assert bf(config, "backup", str(target)).returncode != 0  # never overwrites


def test_user_add_disable_and_reset_pin(config: Path) -> None:
    added = bf(
        config,
        "user",
        "add",
        "wu01",
        "--name",
        "吴",
        "--role",
        "picker",
        "--role",
        "packer",
        "--pin",
        "2468",
    )
    assert added.returncode == 0, added.stderr
    assert query(config, "SELECT roles, active FROM users WHERE code = 'wu01'") == [
        ("packer,picker", 1)
    ]
    bad = bf(config, "user", "add", "wu02", "--name", "x", "--role", "chef", "--pin", "2468")
    assert bad.returncode != 0 and "ROLE_UNKNOWN" in bad.stderr
    assert bf(config, "user", "reset-pin", "wu01", "--pin", "1357").returncode == 0
    assert bf(config, "user", "disable", "wu01").returncode == 0
    assert query(config, "SELECT active FROM users WHERE code = 'wu01'") == [(0,)]
    audit = query(config, "SELECT action, outcome, code FROM audit ORDER BY id")
    assert audit == [
        ("user.add", "ok", ""),
        ("user.add", "refused", "ROLE_UNKNOWN"),
        ("user.reset_pin", "ok", ""),
        ("user.disable", "ok", ""),
    ]


def test_user_unlock_lifts_the_lock_of_anyone_managers_included(config: Path) -> None:
    added = bf(config, "user", "add", "boss", "--name", "B", "--role", "admin", "--pin", "2468")
    assert added.returncode == 0, added.stderr
    conn = sqlite3.connect(config.parent / "site.db")
    with conn:
        conn.execute(
            "UPDATE users SET failed_logins = 5, locked_until = '2999-01-01T00:00:00+00:00', "
            "last_failed_at = '2026-01-01T00:00:00+00:00' WHERE code = 'boss'"
        )
    conn.close()
    unlocked = bf(config, "user", "unlock", "boss")
    assert unlocked.returncode == 0, unlocked.stderr
    assert "boss unlocked" in unlocked.stdout
    assert query(
        config, "SELECT failed_logins, locked_until, last_failed_at FROM users WHERE code = 'boss'"
    ) == [(0, None, None)]
    assert bf(config, "user", "unlock", "ghost").returncode != 0


def test_token_add_prints_the_token_once_and_stores_its_hash(config: Path) -> None:
    done = bf(config, "token", "add", "pack-bench-1", "--kind", "station")
    token = done.stdout.strip()
    assert token.startswith("bf_station_")
    stored = query(config, "SELECT token_hash FROM api_tokens")
    assert len(stored) == 1 and token not in stored[0][0]


def test_import_reports_bad_lines_and_imports_nothing(config: Path, tmp_path: Path) -> None:
    bf(config, "demo")
    bad = tmp_path / "locations.csv"
    bad.write_text("code,zone,type\nX-1,X,storage\nX-2,X,cellar\nX-3,X,storage,extra\n")
    done = bf(config, "import", "locations", str(bad))
    assert done.returncode != 0
    assert f"{bad}:3: type:" in done.stderr
    assert f"{bad}:4: (extra cells)" in done.stderr
    assert query(config, "SELECT COUNT(*) FROM locations WHERE code LIKE 'X-%'") == [(0,)]
    good = tmp_path / "more.csv"
    good.write_text("code,zone,type\n" + "".join(f"Y-{i},Y,storage\n" for i in range(500)))
    done = bf(config, "import", "locations", str(good))
    assert done.returncode == 0, done.stderr
    assert "imported 500 locations: 500 new" in done.stdout
    assert f"checked 500 rows of {good}" in done.stderr  # off a terminal: one line, no bar


def test_import_plans_from_csv(config: Path, tmp_path: Path) -> None:
    bf(config, "demo")
    plans = tmp_path / "plans.csv"
    plans.write_text(
        "customer,plan_no,transport_mode,container_no,sku,expected_qty\n"
        "JPHOME,CLI-1,sea,MSKU1234565,JP0001,12\nJPHOME,CLI-1,sea,MSKU1234565,JP0003,5\n",
        encoding="utf-8",
    )
    done = bf(config, "import", "plans", str(plans))
    assert done.returncode == 0, done.stderr
    assert "imported 1 plans with 2 lines" in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer,plan_no,transport_mode,container_no,sku,expected_qty\nJPHOME,CLI-2,sea,X,HK0001,1\n"
    )
    refused = bf(config, "import", "plans", str(bad))
    assert refused.returncode != 0 and f"{bad}:2: SKU_NOT_FOUND" in refused.stderr
    assert query(config, "SELECT plan_no FROM delivery_plans WHERE plan_no LIKE 'CLI-%'") == [
        ("CLI-1",)
    ]


def test_import_orders_from_json(config: Path, tmp_path: Path) -> None:
    bf(config, "demo")
    order = {
        "customer": "JPHOME",
        "order_no": "CLI-SO-1",
        "courier": "SF",
        "waybill_no": "SF1234567890",
        "routing": {"sort_code": "755-A1"},
        "recipient": {"name": "李四", "phone": "13900001111", "address": "某路1号"},
        "sender": {"name": "DC", "phone": "075512345", "address": "仓库"},
        "lines": [{"sku": "JP0001", "quantity": 2}, {"sku": "JP0003", "quantity": 1}],
    }
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([order]), encoding="utf-8")
    done = bf(config, "import", "orders", str(orders))
    assert done.returncode == 0, done.stderr
    assert "imported 1 orders with 2 lines" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{**order, "order_no": "CLI-SO-2", "waybill_no": "SF1234567890"}]))
    refused = bf(config, "import", "orders", str(bad))
    assert refused.returncode != 0 and f"{bad}:1: WAYBILL_TAKEN" in refused.stderr
    assert query(config, "SELECT order_no FROM orders WHERE order_no LIKE 'CLI-%'") == [
        ("CLI-SO-1",)
    ]


def test_import_skus_from_json_and_again_reports_them_unchanged(
    config: Path, tmp_path: Path
) -> None:
    bf(config, "demo")
    skus = tmp_path / "skus.json"
    rows = [{"customer": "JPHOME", "code": f"J-{i}", "name": f"Item {i}"} for i in range(3)]
    skus.write_text(json.dumps(rows), encoding="utf-8")
    done = bf(config, "import", "skus", str(skus))
    assert done.returncode == 0, done.stderr
    assert "imported 3 skus: 3 new, 0 updated, 0 unchanged" in done.stdout
    again = bf(config, "import", "skus", str(skus))
    assert "imported 3 skus: 0 new, 0 updated, 3 unchanged" in again.stdout
    rows[0]["name"] = "Renamed"
    skus.write_text(json.dumps(rows), encoding="utf-8")
    changed = bf(config, "import", "skus", str(skus))
    assert "imported 3 skus: 0 new, 1 updated, 2 unchanged" in changed.stdout


def test_import_off_a_terminal_prints_one_summary_line_instead_of_a_bar(
    config: Path, tmp_path: Path
) -> None:
    bf(config, "demo")
    customers = tmp_path / "customers.csv"
    customers.write_text('code,name\nK1,"Kay, One"\nK2,Two\nK3,Three\n', encoding="utf-8")
    done = bf(config, "import", "customers", str(customers))
    assert done.stderr.splitlines()[0] == f"checked 3 rows of {customers}; writing customers..."
    assert "%" not in done.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_on_a_terminal_ends_at_100_percent(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.cli import main

    bf(config, "init")
    customers = tmp_path / "customers.csv"
    customers.write_text("code,name\nK1,One\nK2,Two\nK3,Three\n", encoding="utf-8")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    main.main(
        ["--config", str(config), "import", "customers", str(customers)], standalone_mode=False
    )
    shown = terminal.getvalue()
    assert "checking customers" in shown
    assert "100%" in shown and "75%" not in shown


def test_import_help_shows_every_kind_s_columns_and_where_the_reference_is(config: Path) -> None:
    shown = bf(config, "import", "--help").stdout
    assert "docs/imports.md" in shown
    for kind in ("customers", "skus", "locations", "plans", "orders"):
        assert f"  {kind}  " in shown
    assert "transport_mode*" in shown and "barcodes" in shown
    columns = bf(config, "import", "skus", "--columns")
    assert columns.returncode == 0, columns.stderr
    assert "barcodes" in columns.stdout and "separated by `|`" in columns.stdout
    assert "Example:" in columns.stdout
    no_file = bf(config, "import", "skus")
    assert no_file.returncode == 2 and "--columns" in no_file.stderr


def test_user_list_shows_each_user_without_credentials(config: Path) -> None:
    for code, role in (("wu01", "picker"), ("boss", "admin")):
        added = bf(config, "user", "add", code, "--name", "吴", "--role", role, "--pin", "2468")
        assert added.returncode == 0, added.stderr
    badge = bf(
        config,
        "user",
        "add",
        "zh01",
        "--name",
        "Z",
        "--role",
        "packer",
        "--pin",
        "2468",
        "--badge",
        "BADGE-SECRET-0042",
    )
    assert badge.returncode == 0, badge.stderr
    assert bf(config, "user", "disable", "wu01").returncode == 0
    table = bf(config, "user", "list")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "CODE",
        "NAME",
        "ROLES",
        "ENABLED",
        "LOCKED",
        "LANGUAGE",
        "LAST",
        "LOGIN",
        "BADGE",
    ]
    assert lines[3].split() == ["zh01", "Z", "packer", "yes", "no", "-", "never", "****42"]
    assert lines[2].split()[:4] == ["wu01", "吴", "picker", "no"]
    assert "BADGE-SECRET" not in table.stdout
    as_json = json.loads(bf(config, "user", "list", "--json").stdout)
    assert [u["code"] for u in as_json] == ["boss", "wu01", "zh01"]
    assert bf(config, "user", "enable", "wu01").returncode == 0
    assert query(config, "SELECT active FROM users WHERE code = 'wu01'") == [(1,)]


def test_the_last_enabled_admin_is_never_disabled_from_the_command_line(config: Path) -> None:
    assert bf(config, "user", "add", "boss", "--name", "B", "--role", "admin", "--pin", "2468")
    refused = bf(config, "user", "disable", "boss")
    assert refused.returncode != 0 and "LAST_ADMIN" in refused.stderr
    assert query(config, "SELECT active FROM users WHERE code = 'boss'") == [(1,)]


def test_token_list_and_revoke(config: Path) -> None:
    token = bf(config, "token", "add", "pack-bench-1", "--kind", "station").stdout.strip()
    assert bf(config, "token", "add", "oms", "--kind", "oms").returncode == 0
    listed = bf(config, "token", "list")
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "CREATED", "LAST", "USED"]
    assert [line.split()[:2] for line in lines[1:]] == [["oms", "oms"], ["pack-bench-1", "station"]]
    assert lines[2].split()[-1] == "never"
    assert token not in listed.stdout
    revoked = bf(config, "token", "revoke", "pack-bench-1")
    assert revoked.returncode == 0 and "pack-bench-1 revoked" in revoked.stdout
    assert query(config, "SELECT name FROM api_tokens") == [("oms",)]
    again = bf(config, "token", "revoke", "pack-bench-1")
    assert again.returncode != 0 and "TOKEN_NOT_FOUND" in again.stderr
    assert json.loads(bf(config, "token", "list", "--json").stdout)[0]["name"] == "oms"
    assert query(config, "SELECT action, outcome FROM audit WHERE target LIKE 'token:pack%'") == [
        ("token.add", "ok"),
        ("token.revoke", "ok"),
        ("token.revoke", "refused"),
    ]
