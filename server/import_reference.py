"""The import column reference, read from the structs each importer converts a row into.

`docs/imports.md` is rendered from this module (`python -m server.import_reference >
docs/imports.md`) and `bondfloor import --help` / `--columns` show the same columns, so the
documentation cannot drift from what the importers accept.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import inspect

from server.imports import LIST_SEPARATOR, SAVE_AS_UTF8
from server.inbound import plan_import
from server.inbound.schemas import PlanIn, PlanLineIn, Transport
from server.masterdata.schemas import CustomerIn, LocationIn, SkuIn
from server.outbound import order_import
from server.outbound.schemas import OrderIn, OrderLineIn, Party, Routing

_BOOL = "true or false (1 or 0)"
# The patterns of free text (no control characters): they say nothing to a reader.
_NO_CONTROLS = (r"^[^\x00-\x1f\x7f]*\Z", r"^[^\x00-\x1f\x7f]+\Z")


class Column(msgspec.Struct, frozen=True):
    name: str
    required: str  # "yes", "no", or when it is
    type: str
    allowed: str = ""
    note: str = ""


class Kind(msgspec.Struct, frozen=True):
    name: str
    what: str
    route: str
    columns: list[Column]
    example: str  # a small CSV file the importer accepts (tests/test_imports_reference.py)


def _unwrap(t: Any) -> tuple[Any, str, bool]:
    """(type, description, may be empty) of a field type: Annotated and `| None` peeled."""
    description, optional = "", False
    while True:
        if isinstance(t, inspect.Metadata):
            description = description or (t.extra_json_schema or {}).get("description", "")
            t = t.type
        elif isinstance(t, inspect.UnionType) and any(
            isinstance(m, inspect.NoneType) for m in t.types
        ):
            optional = True
            (t,) = [m for m in t.types if not isinstance(m, inspect.NoneType)]
        else:
            return t, description, optional


def _range(t: inspect.IntType) -> str:
    low = f"{t.ge}" if t.ge is not None else f"{t.gt + 1}" if t.gt is not None else ""
    high = f"{t.le}" if t.le is not None else f"{t.lt - 1}" if t.lt is not None else ""
    return f"{low} to {high}" if low and high else f"at least {low}" if low else ""


def _text(t: inspect.StrType, description: str) -> str:
    parts = []
    if t.pattern and t.pattern not in _NO_CONTROLS and not description:
        parts.append(f"matching `{t.pattern}`")
    if t.max_length is not None:
        parts.append(f"at most {t.max_length} characters")
    return ", ".join(parts)


def _describe(t: Any) -> tuple[str, str, str]:
    """(type, allowed values, description) of a field type, in a reader's words."""
    t, description, _ = _unwrap(t)
    if isinstance(t, inspect.LiteralType):
        return "one of", ", ".join(f"`{v}`" for v in t.values), description
    if isinstance(t, inspect.BoolType):
        return "true/false", _BOOL, description
    if isinstance(t, inspect.IntType):
        return "whole number", _range(t), description
    if isinstance(t, inspect.DateTimeType):
        return "date and time", "ISO 8601 with its UTC offset, e.g. 2026-12-01T18:00:00+08:00", ""
    if isinstance(t, inspect.ListType):
        item, item_description, _ = _unwrap(t.item_type)
        allowed = f"separated by `{LIST_SEPARATOR}`; each {_text(item, item_description)}"
        return "list", allowed, description
    if isinstance(t, inspect.StrType):
        return "text", _text(t, description), description
    raise TypeError(f"no words for {t!r}")  # a new field type: say how a reader types it


def _default(field: inspect.Field) -> str:
    if field.default in (inspect.NODEFAULT, "", None) or field.required:
        return ""
    value = str(field.default).lower() if isinstance(field.default, bool) else field.default
    return f"default `{value}`"


def struct_columns(
    struct: type[msgspec.Struct],
    names: tuple[str, ...] | None = None,
    *,
    prefix: str = "",
    required: str | None = None,
) -> list[Column]:
    """The columns of some fields of a struct, in the order of `names`."""
    fields = {f.name: f for f in inspect.type_info(struct).fields}  # type: ignore[attr-defined]
    out = []
    for name in names or tuple(fields):
        field = fields[name]
        type_text, allowed, description = _describe(field.type)
        note = "; ".join(filter(None, (description, _default(field))))
        needed = required or ("yes" if field.required else "no")
        out.append(Column(f"{prefix}{name}", needed, type_text, allowed, note))
    return out


def _transport_columns() -> list[Column]:
    """One set of columns for every transport mode; each says for which modes it counts."""
    modes = {t.__struct_config__.tag: t for t in Transport.__args__}
    out = [
        Column(
            "transport_mode",
            "yes",
            "one of",
            ", ".join(f"`{m}`" for m in modes),
            "How the goods come; decides which transport columns are required",
        )
    ]
    for name in plan_import.TRANSPORT_COLUMNS:
        having = {mode: t for mode, t in modes.items() if name in t.__struct_fields__}
        needed = [m for m, t in having.items() if name in _required_fields(t)]
        column = struct_columns(next(iter(having.values())), (name,))[0]
        when = f"when transport_mode is `{'`, `'.join(needed)}`" if needed else "no"
        used = f"for {', '.join(having)}" if len(having) < len(modes) else ""
        out.append(
            msgspec.structs.replace(
                column, required=when, note="; ".join(filter(None, (used, column.note)))
            )
        )
    return out


def _required_fields(struct: type[msgspec.Struct]) -> set[str]:
    return {f.name for f in inspect.type_info(struct).fields if f.required}  # type: ignore[attr-defined]


def _plan_columns() -> list[Column]:
    own = plan_import.PLAN_COLUMNS
    return [
        *struct_columns(PlanIn, own[:2]),
        *_transport_columns(),
        *struct_columns(PlanIn, own[3:]),
        *struct_columns(PlanLineIn, plan_import.LINE_COLUMNS),
    ]


def _order_columns() -> list[Column]:
    return [
        *struct_columns(OrderIn, order_import.ORDER_COLUMNS),
        *struct_columns(Routing, order_import.ROUTING_COLUMNS),
        *struct_columns(Party, order_import.PARTY_FIELDS, prefix="recipient_"),
        *struct_columns(Party, order_import.PARTY_FIELDS, prefix="sender_"),
        *struct_columns(OrderLineIn, order_import.LINE_COLUMNS),
    ]


KINDS = (
    Kind(
        "customers",
        "Cargo owners. A row with a code that exists updates that customer.",
        "POST /api/v1/import/customers?format=csv",
        struct_columns(CustomerIn),
        "code,name,customs_book_no,min_shelf_life_days,active\n"
        "C1,Acme Cosmetics,T5165W000123,90,true\n",
    ),
    Kind(
        "skus",
        "Items of a customer, with their barcodes. A row gives its SKU exactly the barcodes "
        f"listed: several barcodes go in one cell, separated by `{LIST_SEPARATOR}` (no other "
        "separator is taken). Format the barcode column as Text in a spreadsheet, or it turns "
        "13 digits into 4.89E+12.",
        "POST /api/v1/import/skus?format=csv",
        struct_columns(SkuIn),
        "customer,code,name,barcodes,unit,weight_g,customs_record_no,hs_code,lot_tracked,"
        "expiry_tracked,shelf_life_days,active\n"
        "C1,S10,Face cream 50 ml,4710000000103|04710000000103,EA,120,,3304990099,true,true,"
        "720,true\n"
        "C1,S11,Soap,4710000000202,EA,90,,,false,false,,true\n",
    ),
    Kind(
        "locations",
        "Places on the floor. A location holding stock keeps its type, zone and customer.",
        "POST /api/v1/import/locations?format=csv",
        struct_columns(LocationIn),
        "code,zone,type,pick_sequence,capacity,customer,active\n"
        "A-01-01,A,storage,10,500,C1,true\n"
        "DOCK-01,DOCK,dock,0,,,true\n",
    ),
    Kind(
        "plans",
        "Delivery plans (ASNs): one row per plan line, the plan's own columns repeated on "
        "each row; the first row of a plan (same customer and plan_no) gives them.",
        "POST /api/v1/plan-imports?format=csv",
        _plan_columns(),
        "customer,plan_no,transport_mode,container_no,vessel,expected_arrival,"
        "customs_released,sku,expected_qty,lot,expiry\n"
        "C1,ASN-1001,sea,MSKU1234565,EVER ACE,2026-12-01,true,S10,240,L2401,2027-06-30\n"
        "C1,ASN-1001,sea,MSKU1234565,EVER ACE,2026-12-01,true,S11,120,,\n",
    ),
    Kind(
        "orders",
        "Orders, one parcel each: one row per order line, the order's own columns the same "
        "on every row of the order.",
        "POST /api/v1/order-imports?format=csv",
        _order_columns(),
        "customer,order_no,courier,waybill_no,sort_code,recipient_name,recipient_phone,"
        "recipient_province,recipient_city,recipient_address,sender_name,sender_phone,"
        "sender_address,sku,quantity\n"
        "C1,SO-5001,SF,SF1400000001,755-W-01,张三,13800138000,广东省,深圳市,南山区科技园1号,"
        "Acme,0755-12345678,前海保税区 3 号仓,S10,2\n"
        "C1,SO-5001,SF,SF1400000001,755-W-01,张三,13800138000,广东省,深圳市,南山区科技园1号,"
        "Acme,0755-12345678,前海保税区 3 号仓,S11,1\n",
    ),
)
BY_NAME = {k.name: k for k in KINDS}


def brief(kind: Kind) -> str:
    """One line of a kind's columns for `bondfloor import --help`: `*` marks required."""
    return ", ".join(c.name + ("*" if c.required == "yes" else "") for c in kind.columns)


def columns_text(kind: Kind) -> str:
    """`bondfloor import KIND --columns`: a kind's columns as plain text."""
    width = max(len(c.name) for c in kind.columns)
    lines = [f"{kind.name}: {kind.what}", ""]
    for c in kind.columns:
        needed = (
            "required"
            if c.required == "yes"
            else "optional"
            if c.required == "no"
            else (f"required {c.required}")
        )
        detail = "; ".join(filter(None, (c.allowed, c.note)))
        lines.append(f"  {c.name:<{width}}  {needed}, {c.type}" + (f": {detail}" if detail else ""))
    lines += ["", "Example:", *("  " + row for row in kind.example.splitlines())]
    lines += ["", "More: docs/imports.md"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def _kind_section(kind: Kind) -> list[str]:
    return [
        f"## {kind.name}",
        "",
        kind.what,
        "",
        f"`bondfloor import {kind.name} FILE.csv`, or `{kind.route}`.",
        "",
        "| column | required | type | allowed values | notes |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| `{c.name}` | {_cell(c.required)} | {c.type} | {_cell(c.allowed)} | "
            f"{_cell(c.note)} |"
            for c in kind.columns
        ),
        "",
        "Example:",
        "",
        "```csv",
        kind.example.rstrip("\n"),
        "```",
        "",
    ]


def render_markdown() -> str:
    """docs/imports.md, from this module: the columns of every import."""
    out = [
        "# Import files",
        "",
        "<!-- Rendered by `python -m server.import_reference > docs/imports.md`: edit "
        "server/import_reference.py or the import structs, not this file. -->",
        "",
        "Master data, delivery plans and orders can be imported from a CSV or JSON file: "
        "`bondfloor import KIND FILE` on the server (`bondfloor import KIND --columns` lists "
        "the columns), or a POST of the file to the route named below.",
        "",
        "- **All or nothing.** Every row is checked first; every bad row is reported with "
        "its line number (line 1 is the header) and the column as it is named in the file; "
        "only a clean file is written.",
        "- **Big master data files go in chunks.** A clean customers, SKUs or locations "
        "file is written a few hundred rows per short transaction, so scans on the floor go "
        "on meanwhile; one Idempotency-Key names the whole import. If the site changes under "
        "a running import so that a row is refused (a location in the file received goods), "
        "the rows before it stay written and the answer says how many (`details.job.done`). "
        "Fix the site and send the same file with the same key: it goes on from the refused "
        "row; or fix the file and send it with a new key: the rows already in come back "
        "`unchanged`. "
        "Plans and orders are written in one transaction.",
        "- **CSV.** UTF-8 (a BOM is fine), comma separated, a header row naming the columns. "
        f"Column names are exact and lower case, in any order; an unknown column is refused. "
        f"A file in GBK/GB18030 is refused: {SAVE_AS_UTF8}.",
        "- **Empty cells** take the column's default; a required column may not be empty.",
        f"- **Lists.** The one list column is `barcodes`: several barcodes in one cell are "
        f"separated by `{LIST_SEPARATOR}`. A barcode cell holding `;`, `,` or spaces between "
        "digits is refused, as are all-zero barcodes and barcodes Excel turned into numbers "
        "(4.89E+12): format that column as Text.",
        f"- **true/false** columns take {_BOOL}.",
        "- **JSON** is an array of objects with the same fields as the API's request body "
        "(plans and orders nest `transport`, `routing`, `recipient`, `sender` and `lines` "
        "as the API does; see the OpenAPI document).",
        "- **The answer** of a master data import counts the rows `created`, `updated` and "
        "`unchanged` (a row that is already stored as it is in the file).",
        "",
        "| kind | columns (`*` required) |",
        "| --- | --- |",
        *(f"| [{k.name}](#{k.name}) | {_cell(brief(k))} |" for k in KINDS),
        "",
    ]
    for kind in KINDS:
        out += _kind_section(kind)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
