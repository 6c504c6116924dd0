"""Every page of docs/ that the code, the config, the units or the README point a reader at
exists: a renamed page leaves no dangling pointer in a help text."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC_NAME = re.compile(r"\bdocs/[A-Za-z0-9_.-]+\.(?:md|png|svg)\b")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    suffixes = {".py", ".md", ".toml", ".service", ".js", ".html", ""}
    return [ROOT / n.decode() for n in listed if n and Path(n.decode()).suffix in suffixes]


def test_every_docs_page_named_anywhere_exists() -> None:
    missing: dict[str, set[str]] = {}
    for path in tracked_text_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for name in DOC_NAME.findall(text):
            if not (ROOT / name).exists():
                missing.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert not missing, f"named but not in docs/: {missing}"
