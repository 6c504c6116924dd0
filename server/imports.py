"""Bulk import files (CSV or JSON), shared by every slice that takes them.

An import is all or nothing: rows are read and checked first, every bad row is reported
with its line number (the row number for JSON), and only a clean file is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from server.errors import InvalidInput

MAX_REPORTED_PROBLEMS = 500


class RowProblem(msgspec.Struct):
    """One bad row of an import: where it is and what is wrong."""

    line: int
    field: str
    message: str


class ImportRejected(InvalidInput):
    code = "IMPORT_REJECTED"


def reject(kind: str, problems: list[RowProblem]) -> None:
    problems.sort(key=lambda p: p.line)
    raise ImportRejected(
        f"{len(problems)} problem(s) in the {kind} import; nothing was imported",
        details={
            "problems": [msgspec.to_builtins(p) for p in problems[:MAX_REPORTED_PROBLEMS]],
            "problem_count": len(problems),
        },
    )


def read_rows(
    body: bytes, fmt: str, *, list_columns: Iterable[str] = ()
) -> Iterator[tuple[int, Any]]:
    """(line, row) pairs of a CSV or JSON file; CSV cells in `list_columns` split on '|'."""
    if fmt == "json":
        try:
            data = msgspec.json.decode(body)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as err:
            raise InvalidInput(f"the file is not valid JSON: {err}", code="MALFORMED_JSON") from err
        if not isinstance(data, list):
            raise InvalidInput("a JSON import is an array of objects", code="IMPORT_NOT_A_LIST")
        yield from enumerate(data, start=1)
        return
    if fmt != "csv":
        raise InvalidInput("the format is csv or json", code="IMPORT_FORMAT_UNKNOWN")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput("a CSV import must be UTF-8", code="IMPORT_NOT_UTF8") from err
    reader = csv.DictReader(io.StringIO(text))
    try:
        for record in reader:
            yield reader.line_num, _csv_record(record, set(list_columns))
    except csv.Error as err:
        raise InvalidInput(
            f"line {reader.line_num}: not readable as CSV: {err}",
            code="IMPORT_CSV_INVALID",
            details={"line": reader.line_num},
        ) from err


def _csv_record(record: dict[str | None, Any], list_columns: set[str]) -> dict[str, Any]:
    """CSV cells are text: drop empty optional cells, split list columns on '|'."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key is None:
            out["(extra columns)"] = value
            continue
        value = (value or "").strip()
        if value == "":
            continue
        out[key.strip()] = (
            [b.strip() for b in value.split("|") if b.strip()] if key in list_columns else value
        )
    return out


def problem_from(line: int, err: msgspec.ValidationError) -> RowProblem:
    message, _, where = str(err).partition(" - at `$")
    field_name = where.rstrip("`").lstrip(".").split("[")[0] if where else ""
    if message.startswith("Object contains unknown field"):
        field_name = message.split("`")[1]
        message = "unknown column"
    if message.startswith("Object missing required field"):
        field_name = message.split("`")[1]
        message = "required column is missing or empty"
    return RowProblem(line, field_name, message)


def body_digest(body: bytes) -> str:
    """What an import's idempotency check compares: the file's digest, not the file."""
    return hashlib.sha256(body).hexdigest()
