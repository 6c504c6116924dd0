"""One write path, checked in the source of server/.

The rule, in three parts that together leave no other way to change the site database:

1. **Only two modules take the writer.** `Database` has no public `write`; its `_write` is
   called only in server/commands.py (`run_command`: every floor fact is a command; and
   server/chunked.py, its bulk form: one key, a transaction per chunk) and
   server/system_writes.py (named bookkeeping writes, each saying why it is not a
   command). Nothing outside server/db/database.py touches the writer connection
   (`_writer`), and no `.write(` is called on anything named like a database.
2. **Only server/db/ opens the site database.** `sqlite3.connect` (and server/db's
   `connect`) appear only in server/db/ (the Database itself, restore) and in
   server/omssim/, the OMS simulator, which keeps its own, separate file.
3. **SQL that writes lives only in functions handed a connection.** A string holding
   INSERT, UPDATE, DELETE or REPLACE may appear only inside a `def` with a parameter typed
   `sqlite3.Connection`: the connection of the command's (or system write's) transaction.
   Not at module level, not in a lambda inside a function that holds the database, not in
   a function that opens its own connection. Reader connections are `query_only`, so
   such a function run on one fails loudly; the writer's connection reaches a function
   only through parts 1 and 2. Exempt: migrations (server/db/migrations/, frozen, run by
   `Database.migrate`), and server/omssim/ (not the site database).

docs/declaring-routes.md ("Who writes") explains the same rule for people adding code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from server import system_writes
from server.db import Database

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server"

WRITERS = {
    "server/commands.py",
    "server/chunked.py",  # run_command for a bulk job: one key, a transaction per chunk
    "server/system_writes.py",
    "server/db/database.py",
}
OPENS_CONNECTIONS = ("server/db/", "server/omssim/")
SQL_EXEMPT = ("server/db/migrations/", "server/omssim/")
WRITE_SQL = re.compile(
    r"\b(INSERT(\s+OR\s+\w+)?\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|REPLACE\s+INTO)\b",
    re.IGNORECASE,
)
DATABASE_NAMED = re.compile(r"(^|[._])(db|database)$", re.IGNORECASE)


def server_modules() -> Iterator[tuple[str, str]]:
    for path in sorted(SERVER.rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _docstrings(tree: ast.AST) -> set[ast.AST]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        node.body[0].value
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr)
    }


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _takes_a_connection(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return any(
        p.annotation is not None and ast.unparse(p.annotation).endswith("sqlite3.Connection")
        for p in params
    )


def writer_calls(source: str) -> list[str]:
    """`._write`, `._writer`, and `.write(` on a database, as `line: code`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("_write", "_writer"):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "write"
            and DATABASE_NAMED.search(ast.unparse(node.func.value))
        ):
            found.append(f"{node.lineno}: {ast.unparse(node.func)}")
    return found


def connections_opened(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "sqlite3.connect":
            found.append(f"{node.lineno}: sqlite3.connect")
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("server.db.")
            and any(alias.name == "connect" for alias in node.names)
        ):
            found.append(f"{node.lineno}: import connect from {node.module}")
    return found


def write_sql_outside_a_transaction(source: str) -> list[str]:
    """Write SQL not inside a `def` that is handed a `sqlite3.Connection`."""
    tree = ast.parse(source)
    parents, docstrings = _parents(tree), _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        text = _text(node)
        if text is None or node in docstrings or isinstance(parents.get(node), ast.JoinedStr):
            continue
        if not WRITE_SQL.search(text):
            continue
        scope = parents.get(node)
        while scope is not None and not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            scope = parents.get(scope)
        if scope is None or not _takes_a_connection(scope):
            where = "module level" if scope is None else f"{scope.name}()"
            found.append(f"{node.lineno} in {where}: {' '.join(text.split())[:70]}")
    return found


def test_the_database_has_no_public_write() -> None:
    assert not hasattr(Database, "write")
    assert hasattr(Database, "_write")


def test_only_commands_and_system_writes_take_the_writer() -> None:
    offenders = {
        path: calls
        for path, source in server_modules()
        if path not in WRITERS and (calls := writer_calls(source))
    }
    assert offenders == {}


def test_only_server_db_opens_the_site_database() -> None:
    offenders = {
        path: opened
        for path, source in server_modules()
        if not path.startswith(OPENS_CONNECTIONS) and (opened := connections_opened(source))
    }
    assert offenders == {}


def test_write_sql_lives_only_in_functions_handed_the_transaction() -> None:
    offenders = {
        path: sql
        for path, source in server_modules()
        if not path.startswith(SQL_EXEMPT) and (sql := write_sql_outside_a_transaction(source))
    }
    assert offenders == {}


def test_every_system_write_is_named_and_says_why_it_is_not_a_command() -> None:
    tree = ast.parse((SERVER / "system_writes.py").read_text(encoding="utf-8"))
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert functions
    for function in functions:
        doc = ast.get_docstring(function) or ""
        assert "Not a command" in doc, function.name
        assert "_write" in ast.unparse(function), function.name
        assert callable(getattr(system_writes, function.name))


# -- the checks can fail ----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "def f(db):\n    db._write(lambda c: None)\n",
        "def f(self):\n    self._db.write(lambda c: None)\n",
        "def f(app):\n    app.state.db.write(g)\n",
        "def f(database):\n    return database._writer\n",
    ],
)
def test_a_write_outside_the_two_modules_is_caught(source: str) -> None:
    assert writer_calls(source)


def test_writing_to_a_file_is_not_a_database_write() -> None:
    assert writer_calls("def f(out, wfile):\n    out.write(b'')\n    wfile.write(b'')\n") == []


@pytest.mark.parametrize(
    "source",
    [
        'SQL = "INSERT INTO audit (at) VALUES (?)"\n',
        'def f(db):\n    db.read(lambda c: c.execute("DELETE FROM sessions"))\n',
        'def f(conn):\n    conn.execute("update users set active = 0")\n',
        'def f(conn: sqlite3.Row, t: str):\n    conn.execute(f"UPDATE {t} SET a = 1")\n',
        'def f():\n    c = sqlite3.connect("x")\n    c.execute("REPLACE INTO t VALUES (1)")\n',
    ],
)
def test_write_sql_outside_a_transaction_is_caught(source: str) -> None:
    assert write_sql_outside_a_transaction(source)


def test_write_sql_in_a_function_over_the_connection_passes() -> None:
    source = (
        "def f(conn: sqlite3.Connection, ctx: CommandContext) -> None:\n"
        '    """UPDATE x SET y in a docstring is prose."""\n'
        '    conn.execute("INSERT OR IGNORE INTO t (a) VALUES (?)", (1,))\n'
        "    def inner(c: sqlite3.Connection) -> None:\n"
        '        c.execute("DELETE FROM t")\n'
    )
    assert write_sql_outside_a_transaction(source) == []


def test_opening_a_connection_is_caught() -> None:
    assert connections_opened("import sqlite3\nsqlite3.connect('site.db')\n")
    assert connections_opened("from server.db.database import connect\n")
