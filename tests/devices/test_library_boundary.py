"""devices/ is a library of its own: it never imports the server."""

from __future__ import annotations

import ast
from pathlib import Path

DEVICES = Path(__file__).resolve().parents[2] / "devices"


def test_devices_never_import_server() -> None:
    offenders = []
    for path in sorted(DEVICES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "server"]
    assert len(list(DEVICES.rglob("*.py"))) >= 3
    assert offenders == []
