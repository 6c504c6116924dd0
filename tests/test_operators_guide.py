"""The operator's guide (docs/operators-guide.md) stays true to the code: every `bondfloor`
command it shows exists in the CLI with those options and choices, every `[section] key`
setting exists in server/config.py and takes the value shown, every `make` target is in
the Makefile, and every relative link (and its #anchor) resolves. An IT administrator
follows it word for word."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import click
import msgspec
import pytest

from server.cli import main as cli
from server.config import Settings

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "operators-guide.md"
# The hand-written pages the guide leads to: their links are checked too.
LINKED_PAGES = [GUIDE, *(ROOT / "docs" / n for n in ("service.md", "backups.md", "monitoring.md"))]

FENCE = re.compile(r"^\s*```")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SETTING = re.compile(r"^\[(\w+)\] (\w+)(?: = (.+))?$")
# What may stand before `bondfloor` when it is the command run (not a user or group name).
COMMAND_STARTS = {"sudo", "&&", "||", ";", "|", "exec", "then", "do", "$("}


def split_markdown(text: str) -> tuple[list[str], list[str]]:
    """(code, prose): each fenced block's lines and each inline code span; the lines
    outside fenced blocks."""
    code: list[str] = []
    prose: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif fenced:
            code.append(line)
        else:
            prose.append(line)
            code.extend(INLINE_CODE.findall(line))
    return code, prose


def invocations(code: list[str], program: str = "bondfloor") -> list[list[str]]:
    """The arguments of every run of `program` in these code lines (not the word as a
    package, user or group name)."""
    found = []
    for line in code:
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            words = line.split()
        for i, word in enumerate(words):
            if word != program and not word.endswith(f"/bin/{program}"):
                continue
            before = words[i - 1] if i else None
            if before is None or before in COMMAND_STARTS or ("=" in before and before[0] != "-"):
                found.append(words[i + 1 :])
    return found


def _option(command: click.Command, word: str) -> click.Option | None:
    name = word.split("=", 1)[0]
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _choice_problem(param: click.Parameter, value: str, where: str) -> str | None:
    if isinstance(param.type, click.Choice) and value not in param.type.choices:
        return f"{where}: {value!r} is not one of {list(param.type.choices)}"
    return None


def invocation_problem(args: list[str]) -> str | None:
    """Why `bondfloor ARGS` would not parse, or None."""
    command: click.Command = cli
    where = "bondfloor"
    positional: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--help":
            return None
        if word.startswith("-") and word != "-":
            option = _option(command, word)
            if option is None:
                return f"{where}: no option {word.split('=', 1)[0]}"
            if not option.is_flag and not option.count and "=" not in word:
                if i >= len(args):
                    return f"{where} {word}: needs a value"
                if problem := _choice_problem(option, args[i], f"{where} {word}"):
                    return problem
                i += 1
            continue
        if isinstance(command, click.Group) and not positional:
            sub = command.commands.get(word)
            if sub is not None:
                command, where = sub, f"{where} {word}"
                continue
            if command.name == "backup":  # `bondfloor backup FILE`: one copy to FILE
                return None
            return f"{where}: no command {word!r} (has {sorted(command.commands)})"
        positional.append(word)
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    for param, value in zip(arguments, positional, strict=False):
        if problem := _choice_problem(param, value, where):
            return problem
    return None


def setting_problem(section: str, key: str, value: str | None) -> str | None:
    fields = Settings.__struct_fields__
    if section not in fields:
        return f"[{section}]: no such section in server/config.py"
    kind = type(getattr(Settings(), section))
    if key not in getattr(kind, "__struct_fields__", ()):
        return f"[{section}] {key}: no such setting in server/config.py"
    if value is not None:
        try:
            msgspec.convert(tomllib.loads(f"[{section}]\n{key} = {value}"), Settings)
        except (tomllib.TOMLDecodeError, msgspec.ValidationError) as err:
            return f"[{section}] {key} = {value}: {err}"
    return None


def settings_named(code: list[str]) -> list[tuple[str, str, str | None]]:
    return [m.groups() for c in code if (m := SETTING.match(c.strip()))]  # type: ignore[misc]


def make_targets() -> set[str]:
    targets = set()
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith(".PHONY:"):
            targets.update(line.split(":", 1)[1].split())
        elif (m := re.match(r"^([^\s:=#][^:=]*):(?!=)", line)) is not None:
            targets.update(m.group(1).split())
    return targets


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to
    hyphens, a repeat numbered."""
    anchors: set[str] = set()
    _, prose = split_markdown(text)
    for line in prose:
        if (m := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)) is None:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        anchor, n = slug, 1
        while anchor in anchors:
            anchor, n = f"{slug}-{n}", n + 1
        anchors.add(anchor)
    return anchors


def link_problems(page: Path, text: str) -> list[str]:
    problems = []
    _, prose = split_markdown(text)
    for line in prose:
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, file:
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                problems.append(f"{page.name}: {target}: no such file")
            elif (
                anchor
                and file.suffix == ".md"
                and anchor not in heading_anchors(file.read_text(encoding="utf-8"))
            ):
                problems.append(f"{page.name}: {target}: no such heading")
    return problems


@pytest.fixture(scope="module")
def guide_code() -> list[str]:
    return split_markdown(GUIDE.read_text(encoding="utf-8"))[0]


def test_every_bondfloor_command_in_the_guide_parses_in_the_cli(guide_code: list[str]) -> None:
    runs = invocations(guide_code)
    assert len(runs) >= 15, "the guide's commands were not found"
    problems = [p for args in runs if (p := invocation_problem(args))]
    assert problems == []


def test_every_setting_the_guide_names_exists_with_the_value_shown(
    guide_code: list[str],
) -> None:
    named = settings_named(guide_code)
    assert len(named) >= 20, "the guide's settings were not found"
    problems = [p for s in named if (p := setting_problem(*s))]
    assert problems == []


def test_every_make_target_the_guide_names_is_in_the_makefile(guide_code: list[str]) -> None:
    named = {args[0] for args in invocations(guide_code, "make") if args}
    assert "restore-drill" in named
    assert named - make_targets() == set()


@pytest.mark.parametrize("page", LINKED_PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page: Path) -> None:
    assert link_problems(page, page.read_text(encoding="utf-8")) == []


def test_the_readme_links_the_guide() -> None:
    assert "(docs/operators-guide.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_checks_catch_what_a_stale_guide_would_say(tmp_path: Path) -> None:
    """Each check fails on a wrong line: a command, an option, a choice, a setting, a
    value, a make target, a link and an anchor that do not exist."""
    assert invocation_problem(["user", "list-all"]) is not None
    assert invocation_problem(["--config", "x.toml", "serve", "--tls-port", "1"]) is not None
    assert invocation_problem(["token", "add", "erp", "--kind", "erp"]) is not None
    assert invocation_problem(["service", "unit", "database"]) is not None
    assert invocation_problem(["backup", "var/copy.db"]) is None
    assert setting_problem("server", "listen", None) is not None
    assert setting_problem("serverz", "host", None) is not None
    assert setting_problem("logging", "format", '"xml"') is not None
    assert setting_problem("logging", "format", '"json"') is None
    assert "no-such-target" not in make_targets()
    assert invocations(["apt-get install make git", "cd x && make restore-drill"], "make") == [
        ["restore-drill"]
    ]
    assert invocations(["sudo useradd --system bondfloor", "install -o bondfloor x"]) == []
    page = tmp_path / "guide.md"
    page.write_text("# Top\n\n[a](missing.md) [b](#top) [c](#nowhere)\n", encoding="utf-8")
    assert link_problems(page, page.read_text(encoding="utf-8")) == [
        "guide.md: missing.md: no such file",
        "guide.md: #nowhere: no such heading",
    ]


def test_no_page_installs_bondfloor_from_a_package_registry() -> None:
    """bondfloor is installed from its checkout (`pip install '/opt/bondfloor[...]'`): a
    `pip install 'bondfloor[...]'` would ask PyPI for whatever has that name."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = [
        f"{page.name}: {m.group(0)}"
        for page in pages
        for m in re.finditer(r"pip install\s+['\"]?bondfloor\b", page.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_scrape_config_targets_the_servers_port() -> None:
    text = (ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
    ports = {int(p) for p in re.findall(r'targets: \["[^"]+:(\d+)"\]', text)}
    assert ports == {Settings().server.port}
