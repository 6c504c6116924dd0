"""The systemd units: deploy/ is what `bondfloor service unit` prints with the documented
paths, and systemd itself finds nothing wrong in them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.service_units import KINDS, UnitPaths, render_unit, unit_file_name
from tests.live_server import BONDFLOOR

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.parametrize("kind", KINDS)
def test_deploy_holds_the_units_the_command_prints(kind: str) -> None:
    assert (DEPLOY / unit_file_name(kind)).read_text(encoding="utf-8") == render_unit(kind)


def test_units_restart_on_failure_stop_gracefully_and_keep_serial_access() -> None:
    server, station = render_unit("server"), render_unit("station")
    for unit in (server, station):
        assert "Restart=on-failure" in unit
        assert "User=bondfloor" in unit
        assert "EnvironmentFile=/etc/bondfloor/" in unit
        assert "ProtectSystem=strict" in unit
        # Serial scanners and printers: the device nodes must stay reachable.
        assert "PrivateDevices" not in unit and "DevicePolicy" not in unit
    assert "SupplementaryGroups=dialout input" in station
    assert "KillMode=mixed" in server  # SIGTERM to granian's main process only


def test_service_unit_command_prints_the_unit_for_this_installation() -> None:
    done = subprocess.run(
        [str(BONDFLOOR), "service", "unit", "station", "--user", "floor"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    bin_dir = str(Path(sys.executable).parent)
    assert done.stdout == render_unit("station", UnitPaths(bin_dir=bin_dir, user="floor"))
    agent = subprocess.run(
        [str(BONDFLOOR), "service", "unit", "agent", "--user", "floor"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert agent.stdout == done.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_finds_nothing_to_say(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bondfloor", "litestream"):  # verify checks that ExecStart= exists
        (bin_dir / tool).write_text("#!/bin/sh\n", encoding="utf-8")
        (bin_dir / tool).chmod(0o755)
    paths = UnitPaths(bin_dir=str(bin_dir))
    files = []
    for kind in KINDS:
        path = tmp_path / unit_file_name(kind)
        path.write_text(render_unit(kind, paths), encoding="utf-8")
        files.append(str(path))
    done = subprocess.run(
        ["systemd-analyze", "verify", *files], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 on unknown keys and bad values, but says so: it must say nothing.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
