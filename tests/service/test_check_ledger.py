"""`bondfloor check-ledger`: after a restore the admin checks the balances against the
ledger; a balance that differs is named and the command exits non-zero."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from tests.live_server import BONDFLOOR


def test_check_ledger_passes_on_the_demo_and_names_a_balance_that_differs(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(f'[database]\npath = "{tmp_path}/site.db"\n', encoding="utf-8")

    def bf(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BONDFLOOR), "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    assert bf("demo").returncode == 0
    good = bf("check-ledger")
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("ledger ok: ")
    conn = sqlite3.connect(tmp_path / "site.db")
    conn.execute(
        "UPDATE balances SET quantity = quantity + 1 WHERE (location_id, sku_id) = "
        "(SELECT location_id, sku_id FROM balances ORDER BY location_id, sku_id LIMIT 1)"
    )
    conn.commit()
    conn.close()
    bad = bf("check-ledger")
    assert bad.returncode == 1
    assert "1 balance(s) differ from the ledger" in bad.stderr
    assert "movements" in bad.stderr
