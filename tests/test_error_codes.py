"""Every error code lives in one table, server/error_codes.py, and the code uses it.

The server's source is read (not run): each `ERR.X(...)` raise site must give the parameters
its template names; no refusal is built with a free-string code; every upper-snake string
in server/ is a registered code named through the table, or belongs to another vocabulary;
and nothing registered is dead. docs/errors.md is rendered from the table.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from server import errors
from server.alerts.schemas import ALERT_KINDS, ALERT_MESSAGES
from server.error_codes import ERR, ErrorCode, by_code, every_code, render_markdown
from server.errors import Conflict, NotFound

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"
DOCS = ROOT / "docs" / "errors.md"
REGISTRY = SERVER / "error_codes.py"
# The class hierarchy: its default codes are never answered, every raise names its code.
HIERARCHY = SERVER / "errors.py"
UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# Upper-snake strings of server/ that are not error codes, and why.
OTHER_NAMES = {
    "SHIP_WITHOUT_DEPARTURE": "the database trigger's own word, answered as SHIP_ONLY_AT_DEPARTURE",
}
# Codes the device library gives the server to answer as they are (`by_code`).
DEVICE_SOURCES = (
    ROOT / "devices" / "facesheet.py",
    ROOT / "devices" / "printers.py",
    ROOT / "devices" / "print_head.py",
)
DOMAIN_ERRORS = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.DomainError)
}
REGISTERED = {entry.code: entry for entry in every_code()}


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SERVER.rglob("*.py")):
        if path != REGISTRY:
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def _registry_name(node: ast.AST) -> str | None:
    """`X` of an `ERR.X` expression."""
    if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
        return None
    return node.attr if node.value.id == "ERR" else None


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _device_codes() -> set[str]:
    found: set[str] = set()
    for path in DEVICE_SOURCES:
        source = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'LabelError\(\s*"([A-Z][A-Z0-9_]+)"', source))
        found |= set(re.findall(r'^\s+code = "([A-Z][A-Z0-9_]+)"', source, re.M))
    return found


def _raise_sites() -> Iterator[tuple[str, ErrorCode, ast.Call, str | None]]:
    """(where, entry, call, class named by answered_as) of every `ERR.X(...)` and
    `ERR.X.answered_as(Kind, ...)` in server/."""
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kind, func = None, node.func
            name = _registry_name(func)
            if name is None and isinstance(func, ast.Attribute) and func.attr == "answered_as":
                name = _registry_name(func.value)
                first = node.args[0] if node.args else None
                kind = first.id if isinstance(first, ast.Name) else "?"
            if name is not None and name in REGISTERED:
                yield _where(path, node), REGISTERED[name], node, kind


def test_the_readers_find_raise_sites_and_names() -> None:
    # Guards the readers: if they found nothing, the checks below would pass.
    assert sum(1 for _ in _raise_sites()) > 250
    assert {"LABEL_TEXT_TOO_LONG", "FONT_NOT_FOUND", "PRINTER_ERROR"} <= _device_codes()
    assert len(REGISTERED) > 200


def test_a_refusal_answers_its_code_status_and_filled_template() -> None:
    refusal = ERR.LOCATION_NOT_FOUND({"location": "A-01"})
    assert isinstance(refusal, NotFound)
    assert (refusal.code, refusal.status_code) == ("LOCATION_NOT_FOUND", 404)
    assert (refusal.message, refusal.details) == ("no location A-01", {"location": "A-01"})
    # A keyword fills the message only; the details stay as given.
    alert = ERR.ALERT_NOT_FOUND(alert_id=7)
    assert (alert.message, alert.details) == ("no alert 7", {})
    # Another status where the entry allows it.
    other = ERR.PARCEL_NOT_ON_LIST.answered_as(NotFound, {"waybill_no": "SF1", "list_no": "L-1"})
    assert (other.status_code, other.code, other.message) == (
        404,
        "PARCEL_NOT_ON_LIST",
        "SF1 is not on list L-1",
    )


def test_a_missing_parameter_keeps_its_name_instead_of_failing_the_request() -> None:
    assert ERR.ALERT_ALREADY_ACKED(alert_id=3).message == "alert 3 was acknowledged by {acked_by}"


def test_a_reason_code_is_never_raised_on_its_own() -> None:
    with pytest.raises(TypeError):
        ERR.WAVE_FULL()


def test_every_entry_is_named_by_its_code_and_has_a_status_or_a_place() -> None:
    for code, entry in REGISTERED.items():
        assert UPPER_SNAKE.match(code) or code.isalpha(), code
        assert entry.template.strip(), code
        if entry.kind is not None:
            assert entry.http_status is None, code
        if entry.command_line:
            assert entry.status is None, code
        if entry.status is not None:
            assert 400 <= entry.status < 600, code
        assert all(k is not entry.kind for k in entry.also), code
    assert by_code("LOCATION_NOT_FOUND") is ERR.LOCATION_NOT_FOUND
    with pytest.raises(KeyError):
        by_code("NO_SUCH_CODE")


def test_every_raise_site_gives_the_parameters_its_template_names() -> None:
    problems = []
    for where, entry, call, kind in _raise_sites():
        args = call.args[1:] if kind is not None else call.args
        keywords = {k.arg for k in call.keywords}
        if None in keywords:  # **params: not checkable here
            continue
        extra = keywords - set(entry.params)
        if extra:
            problems.append(f"{where}: {entry.code} has no parameter {sorted(extra)}")
        details = args[0] if args else None
        if details is None or (isinstance(details, ast.Dict) and None not in details.keys):
            given = keywords | {
                k.value for k in getattr(details, "keys", []) if isinstance(k, ast.Constant)
            }
            missing = set(entry.params) - given
            if missing:
                problems.append(f"{where}: {entry.code} lacks {sorted(missing)}")
        if kind is not None and kind not in {k.__name__ for k in entry.also}:
            problems.append(f"{where}: {entry.code} is not answered as {kind} (add it to also)")
    assert problems == []


def test_no_refusal_is_built_with_a_free_string_code() -> None:
    """A DomainError is built only by the table (a TooManyRequests may take its code and
    message from an entry, for its Retry-After)."""
    built = []
    for path, tree in _sources():
        if path == HIERARCHY:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in DOMAIN_ERRORS:
                continue
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            inner = code.value if isinstance(code, ast.Attribute) else None
            if inner is None or _registry_name(inner) is None:
                built.append(f"{_where(path, node)}: {node.func.id}(...)")
    assert built == [], "raise ERR.<CODE>(details, **params) instead"


def test_every_code_named_in_server_is_registered_and_named_through_the_table() -> None:
    unknown, literal = [], []
    alert_kinds = set(ALERT_KINDS) | set(ALERT_MESSAGES)  # the alerts' own vocabulary
    for path, tree in _sources():
        if path == HIERARCHY:
            continue
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (name := _registry_name(node)) is not None and name not in REGISTERED:
                unknown.append(f"{_where(path, node)}: ERR.{name}")
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            value = node.value
            if id(node) in docs or not UPPER_SNAKE.match(value) or value in alert_kinds:
                continue
            if value.startswith("BONDFLOOR_") or value in OTHER_NAMES:
                continue
            if value in REGISTERED:
                literal.append(f"{_where(path, node)}: {value!r} (write ERR.{value}.code)")
            else:
                unknown.append(f"{_where(path, node)}: {value!r}")
    unknown += [f"devices: {c}" for c in sorted(_device_codes() - set(REGISTERED))]
    assert unknown == [], "register these in server/error_codes.py"
    assert literal == []


def test_every_registered_code_is_raised_or_named_somewhere() -> None:
    used = set(_device_codes())
    for _, tree in _sources():
        used |= {name for node in ast.walk(tree) if (name := _registry_name(node))}
    dead = sorted(code for code, e in REGISTERED.items() if code not in used and not e.framework)
    assert dead == [], "nothing raises or names these: remove them, or mark framework=True"


def test_the_statuses_are_those_of_the_classes() -> None:
    assert ERR.ORDER_NOT_FOUND.status == 404 and ERR.ORDER_CANCELLED.kind is Conflict
    assert ERR.INTERNAL_ERROR.status == 500 and ERR.DISK_FULL.status == 503


def test_docs_errors_md_is_rendered_from_the_registry() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/errors.md is out of date: run `python -m server.error_codes > docs/errors.md`"
    )
