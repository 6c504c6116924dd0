"""Bulk import files (CSV or JSON), shared by every slice that takes them.

An import is all or nothing: rows are read and checked first, every bad row is reported
with its line number (the row number for JSON), and only a clean file is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

import msgspec

from server.error_codes import ERR
from server.errors import ImportRejected as ImportRejected
from server.errors import InvalidInput

MAX_REPORTED_PROBLEMS = 500
LIST_SEPARATOR = "|"
"""The one separator between the items of a list cell (a SKU's barcodes) in a CSV file."""
HEADER_LINE = 1
EXTRA_CELLS = "(extra cells)"
"""The key of a CSV row's cells past the header's last column."""
SAVE_AS_UTF8 = (
    'save it as UTF-8: in Excel, Save As (另存为) > "CSV UTF-8 (逗号分隔)(*.csv)"; in WPS '
    "or Notepad (记事本), Save As (另存为) with encoding (编码) UTF-8"
)


class RowProblem(msgspec.Struct):
    """One bad row of an import: where it is and what is wrong."""

    line: int
    field: str
    message: str


def reject(kind: str, problems: list[RowProblem]) -> None:
    problems.sort(key=lambda p: p.line)
    raise ERR.IMPORT_REJECTED(
        {
            "problems": [msgspec.to_builtins(p) for p in problems[:MAX_REPORTED_PROBLEMS]],
            "problem_count": len(problems),
        },
        kind=kind,
    )


def read_rows(
    body: bytes,
    fmt: str,
    *,
    list_columns: Iterable[str] = (),
    known_columns: Collection[str] | None = None,
    kind: str = "",
) -> Iterator[tuple[int, Any]]:
    """(line, row) pairs of a CSV or JSON file; CSV cells in `list_columns` split on '|'.

    With `known_columns`, a CSV header naming any other column rejects the file at once.
    """
    if fmt == "json":
        try:
            data = msgspec.json.decode(body)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as err:
            raise ERR.MALFORMED_JSON(what=f"file (JSON error: {err})") from err
        if not isinstance(data, list):
            raise ERR.IMPORT_NOT_A_LIST()
        yield from enumerate(data, start=1)
        return
    if fmt != "csv":
        raise ERR.IMPORT_FORMAT_UNKNOWN()
    reader = csv.DictReader(io.StringIO(csv_text(body)))
    try:
        if known_columns is not None:
            check_header(kind, reader.fieldnames or [], known_columns)
        for record in reader:
            # The line a record starts on: line_num is where it ends, past quoted line breaks.
            breaks = sum(v.count("\n") for v in record.values() if isinstance(v, str))
            yield reader.line_num - breaks, _csv_record(record, set(list_columns))
    except csv.Error as err:
        raise ERR.IMPORT_CSV_INVALID({"line": reader.line_num}, problem=err) from err


def csv_text(body: bytes) -> str:
    """The text of a CSV file, which must be UTF-8; a GBK file is told how to become one."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if _looks_like_gb18030(body):
            raise ERR.IMPORT_NOT_UTF8(
                {"reason": "gb18030", "encoding": "GB18030", "how_to_fix": SAVE_AS_UTF8},
                problem="this file looks like GBK/GB18030 (Chinese Windows' default)",
            ) from err
        raise ERR.IMPORT_NOT_UTF8(
            {"byte": err.start, "how_to_fix": SAVE_AS_UTF8}, problem=f"byte {err.start} is not"
        ) from err


def _looks_like_gb18030(body: bytes) -> bool:
    """GB18030 decodes most byte soup; Chinese text is what makes it likely: most of the
    non-ASCII characters are GB2312's, both bytes at 0xA1 or above (Latin-1 `è` then `m`
    decodes too, but as a rare character outside that area)."""
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if not c.isascii()]
    gb2312 = sum(1 for c in wide if min(c.encode("gb18030")) >= 0xA1)
    return gb2312 > 0 and gb2312 >= 0.8 * len(wide)


def check_header(kind: str, header: Collection[str], known: Collection[str]) -> None:
    """Every unknown or repeated column of the header, once, against the header line.

    A nameless column (Excel's trailing comma) is let through: its cells must be empty.
    """
    names = [c.strip() for c in header if c.strip()]
    columns = ", ".join(known)
    problems = [
        RowProblem(HEADER_LINE, c, f"unknown column; the {kind} columns are: {columns}")
        for c in names
        if c not in known
    ]
    problems += [
        RowProblem(HEADER_LINE, c, "the column is in the header more than once")
        for c in sorted({c for c in names if names.count(c) > 1})
    ]
    if problems:
        reject(kind, problems)


def count_rows(body: bytes, fmt: str) -> int:
    """How many rows the file holds (a quoted cell may span lines), for a progress bar."""
    try:
        if fmt == "json":
            data = msgspec.json.decode(body)
            return len(data) if isinstance(data, list) else 0
        rows = sum(1 for row in csv.reader(io.StringIO(csv_text(body))) if row)  # as DictReader
        return max(rows - 1, 0)
    except (msgspec.DecodeError, RecursionError, InvalidInput, csv.Error):
        return 0  # read_rows says what is wrong with the file


def _csv_record(record: dict[str | None, Any], list_columns: set[str]) -> dict[str, Any]:
    """CSV cells are text: drop empty optional cells, split list columns on '|'."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key is None:
            out[EXTRA_CELLS] = value
            continue
        key, value = key.strip(), (value or "").strip()
        if value == "":
            continue
        out[key] = (
            [b.strip() for b in value.split(LIST_SEPARATOR) if b.strip()]
            if key in list_columns
            else value
        )
    return out


def extra_cells_problem(line: int, raw: dict[str, Any]) -> list[RowProblem]:
    """A row with more cells than the header has columns: often a comma in an unquoted cell."""
    extra = raw.get(EXTRA_CELLS)
    if not extra:
        return []
    return [
        RowProblem(
            line,
            EXTRA_CELLS,
            f"{len(extra)} more cell(s) than the header has columns ({', '.join(extra)}); "
            "a cell holding a comma must be in double quotes",
        )
    ]


def problem_from(
    line: int, err: msgspec.ValidationError, column: Callable[[str], str] = lambda path: path
) -> RowProblem:
    """The row problem for a failed conversion; `column` names a field's path (`transport.type`)
    as the file's column (`transport_mode`)."""
    message, _, where = str(err).partition(" - at `$")
    path = where.rstrip("`").lstrip(".") if where else ""
    if message.startswith(("Object contains unknown field", "Object missing required field")):
        path = ".".join(filter(None, (path, message.split("`")[1])))
        message = (
            "unknown column"
            if message.startswith("Object contains")
            else "required column is missing or empty"
        )
    return RowProblem(line, column(path), message)


def csv_column(path: str) -> str:
    """A CSV row is one flat record: `barcodes[2]` is the `barcodes` column."""
    return re.sub(r"\[\d+\]", "", path)


def body_digest(body: bytes) -> str:
    """What an import's idempotency check compares: the file's digest, not the file."""
    return hashlib.sha256(body).hexdigest()
