"""Trace: the full history of a SKU, lot, location, order, parcel or user, newest first,
and "where did it go" — what explains a difference between the ledger and a count.

A history is merged from up to three streams — ledger movements, document events of the
journal, audit lines — each read newest first by its own id through an index. A page
cursor holds how far each stream has been read, so paging is a k-way merge that can
never skip or repeat a row, and the first page costs the same for 50 movements as for
1,000,000 (see migration 0016_trace_indexes and bench/trace.py).
"""

from __future__ import annotations

import csv
import heapq
import io
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from server.error_codes import ERR
from server.masterdata.lookups import customer_by_code, location_by_code, sku_by_code
from server.reconcile.service import _cell as spreadsheet_safe
from server.trace.schemas import (
    Candidate,
    Explanation,
    HeldElsewhere,
    MovementLine,
    Reserved,
    TraceEntry,
    TraceKind,
    TracePage,
)

T = TypeVar("T")
Reader = Callable[[Callable[[sqlite3.Connection], T]], T]

MAX_ID = 2**63 - 1
MAX_LIMIT = 500
CSV_PAGE = 2000
CURSOR = re.compile(r"^[0-9]{1,19}(\.[0-9]{1,19}){0,2}\Z")
CSV_COLUMNS = [
    "time",
    "source",
    "id",
    "what",
    "quantity",
    "customer",
    "sku",
    "lot",
    "expiry",
    "from",
    "to",
    "user",
    "device",
    "document",
    "reason",
    "note",
]
_SOURCE_RANK = {"movement": 0, "audit": 1, "event": 2}
"""At the same instant the journal's event follows the movements of its command."""

_MOVEMENT_COLUMNS = (
    "SELECT m.id, m.at, m.kind, m.quantity, c.code AS customer, s.code AS sku, m.lot, "
    "m.expiry, COALESCE(lf.code, '') AS from_location, COALESCE(lt.code, '') AS to_location, "
    "m.user_code, m.device, m.document, m.reason FROM movements m "
    "JOIN customers c ON c.id = m.customer_id JOIN skus s ON s.id = m.sku_id "
    "LEFT JOIN locations lf ON lf.id = m.from_location_id "
    "LEFT JOIN locations lt ON lt.id = m.to_location_id "
)


@dataclass
class _Stream:
    """One source of a history: how to read its rows older than a bound."""

    source: str
    read: Callable[[sqlite3.Connection, int, int], list[TraceEntry]]


@dataclass
class _Subject:
    kind: TraceKind
    value: str
    customer: str
    subject: str
    streams: list[_Stream] = field(default_factory=list)


# -- the history --------------------------------------------------------------------------


def trace_page(
    conn: sqlite3.Connection,
    kind: TraceKind,
    value: str,
    *,
    customer: str | None = None,
    sku: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> TracePage:
    """One page of a history, newest first; `before` is the previous page's next_cursor."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ERR.LIMIT_OUT_OF_RANGE({"limit": limit}, max_limit=MAX_LIMIT)
    return _read_page(conn, kind, value, customer, sku, before, limit)


def _read_page(
    conn: sqlite3.Connection,
    kind: TraceKind,
    value: str,
    customer: str | None,
    sku: str | None,
    before: str | None,
    limit: int,
) -> TracePage:
    subject = _subject(conn, kind, value, customer, sku)
    bounds = _bounds(before, len(subject.streams))
    fetched = [
        s.read(conn, bound, limit + 1) for s, bound in zip(subject.streams, bounds, strict=True)
    ]
    # Lists, not generators: a generator would see the loop's last `i`.
    tagged = [
        [(e.at, _SOURCE_RANK[e.source], e.id, i, e) for e in rows] for i, rows in enumerate(fetched)
    ]
    consumed = [0] * len(fetched)
    last = list(bounds)
    entries: list[TraceEntry] = []
    for _, _, _, i, entry in heapq.merge(*tagged, reverse=True):
        if len(entries) == limit:
            break
        entries.append(entry)
        consumed[i] += 1
        last[i] = entry.id
    more = any(len(rows) > n for rows, n in zip(fetched, consumed, strict=True))
    return TracePage(
        kind=kind,
        value=subject.value,
        customer=subject.customer,
        subject=subject.subject,
        entries=entries,
        next_cursor=".".join(str(b) for b in last) if more else None,
    )


def csv_chunks(
    read: Reader[Any],
    kind: TraceKind,
    value: str,
    *,
    customer: str | None = None,
    sku: str | None = None,
) -> Iterator[bytes]:
    """The whole history as CSV (UTF-8 with BOM), a page at a time, each page its own read.

    The first page is read before this returns, so an unknown subject is refused before
    any byte is sent. Later pages only go older: rows written meanwhile never appear.
    """
    first: TracePage = read(_next_page(kind, value, customer, sku, None))

    def chunks() -> Iterator[bytes]:
        page = first
        yield ("\ufeff" + _csv_text([CSV_COLUMNS])).encode()  # Excel needs the BOM for UTF-8
        while True:
            yield _csv_text(_csv_row(e) for e in page.entries).encode()
            cursor = page.next_cursor
            if cursor is None:
                return
            page = read(_next_page(kind, value, customer, sku, cursor))

    return chunks()


def _next_page(
    kind: TraceKind, value: str, customer: str | None, sku: str | None, before: str | None
) -> Callable[[sqlite3.Connection], TracePage]:
    return lambda conn: _read_page(conn, kind, value, customer, sku, before, CSV_PAGE)


def csv_filename(kind: TraceKind, value: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", value)[:60]
    return f"trace-{kind}-{safe}.csv"


def _csv_text(rows: Any) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _csv_row(e: TraceEntry) -> list[Any]:
    return [
        e.at,
        e.source,
        e.id,
        e.what,
        "" if e.quantity is None else e.quantity,
        *(
            spreadsheet_safe(v)
            for v in (
                e.customer,
                e.sku,
                e.lot,
                e.expiry,
                e.from_location,
                e.to_location,
                e.user,
                e.device,
                e.document,
                e.reason,
                e.note,
            )
        ),
    ]


def _bounds(before: str | None, streams: int) -> list[int]:
    if before is None:
        return [MAX_ID] * streams
    parts = before.split(".") if CURSOR.match(before) else []
    if len(parts) != streams or any(int(p) > MAX_ID for p in parts):
        raise ERR.INVALID_CURSOR({"before": before[:80]})
    return [int(p) for p in parts]


# -- what can be traced -------------------------------------------------------------------


def _subject(
    conn: sqlite3.Connection,
    kind: TraceKind,
    value: str,
    customer: str | None,
    sku: str | None,
) -> _Subject:
    value = value.strip()
    if not value:
        raise ERR.TRACE_VALUE_MISSING()
    customer_id = customer_by_code(conn, customer).id if customer else None
    if kind == "sku":
        row = sku_by_code(conn, value, customer)
        return _Subject(
            kind, value, row.customer, row.name, [_movements("m.sku_id = ?", (row.id,))]
        )
    if kind == "lot":
        where, params = "m.lot = ? AND m.lot != ''", list[Any]([value])
        if sku:
            where += " AND m.sku_id = ?"
            params.append(sku_by_code(conn, sku, customer).id)
        elif customer_id is not None:
            where += " AND m.customer_id = ?"
            params.append(customer_id)
        seen = conn.execute(f"SELECT 1 FROM movements m WHERE {where} LIMIT 1", params).fetchone()
        if seen is None:
            raise ERR.LOT_NOT_FOUND({"lot": value})
        return _Subject(kind, value, customer or "", sku or "", [_movements(where, tuple(params))])
    if kind == "location":
        # A location closed since still names the goods that passed it.
        loc = location_by_code(conn, value, active_only=False)
        return _Subject(
            kind,
            value,
            loc.customer,
            f"{loc.type} · {loc.zone}",
            [_movements("m.from_location_id = ?", (loc.id,), "m.to_location_id = ?")],
        )
    if kind in ("order", "parcel"):
        column = "order_no" if kind == "order" else "waybill_no"
        where = f"o.{column} = ?" + (" AND o.customer_id = ?" if customer_id is not None else "")
        order = conn.execute(
            "SELECT o.order_no, o.waybill_no, o.state, c.code AS customer, p.location_id "
            "FROM orders o JOIN customers c ON c.id = o.customer_id "
            f"LEFT JOIN parcels p ON p.order_id = o.id WHERE {where}",
            (value, customer_id) if customer_id is not None else (value,),
        ).fetchone()
        if order is None:
            refusal = ERR.ORDER_NOT_FOUND if kind == "order" else ERR.PARCEL_NOT_FOUND
            raise refusal({kind: value, "scanned": value}, order=value)
        parcel = order["location_id"]
        streams = []
        if kind == "order":
            # Picks, packing and returns name the order; the departure names the list and
            # leaves from the parcel.
            at_parcel = () if parcel is None else ("m.from_location_id = ?", "m.to_location_id = ?")
            streams.append(
                _movements(
                    "m.document = ? AND m.document != ''",
                    (order["order_no"],),
                    *at_parcel,
                    extra=(parcel,),
                )
            )
        elif parcel is not None:
            streams.append(_movements("m.from_location_id = ?", (parcel,), "m.to_location_id = ?"))
        streams.append(_events(column, order[column]))
        return _Subject(
            kind,
            value,
            order["customer"],
            f"{order['order_no']} · {order['waybill_no']} · {order['state']}",
            streams,
        )
    if kind == "user":
        user = conn.execute("SELECT name FROM users WHERE code = ?", (value,)).fetchone()
        if user is None and not _ever_acted(conn, value):
            raise ERR.USER_NOT_FOUND({"user": value})
        return _Subject(
            kind,
            value,
            "",
            user["name"] if user else "",
            [_movements("m.user_code = ?", (value,)), _audit(f"user:{value}")],
        )
    raise ERR.TRACE_KIND_UNKNOWN(kind=kind)


def _ever_acted(conn: sqlite3.Connection, code: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM movements WHERE user_code = ? LIMIT 1", (code,)).fetchone()
        is not None
    )


# -- the streams --------------------------------------------------------------------------


def _movements(
    first: str, params: tuple[Any, ...], *more: str, extra: tuple[Any, ...] = ()
) -> _Stream:
    """Movements matching any of the conditions, newest first. Each condition is read
    through its own index (SQLite would sort an OR of two indexes), then merged by id."""
    conditions = [(first, params), *((c, extra or params) for c in more)]

    def read(conn: sqlite3.Connection, before: int, limit: int) -> list[TraceEntry]:
        parts, args = [], []
        for condition, values in conditions:
            parts.append(
                f"SELECT id FROM (SELECT m.id FROM movements m WHERE {condition} AND m.id < ? "
                "ORDER BY m.id DESC LIMIT ?)"
            )
            args += [*values, before, limit]
        rows = conn.execute(
            _MOVEMENT_COLUMNS
            + f"WHERE m.id IN ({' UNION '.join(parts)}) ORDER BY m.id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [
            TraceEntry(
                source="movement",
                id=r["id"],
                at=r["at"],
                what=r["kind"],
                quantity=r["quantity"],
                customer=r["customer"],
                sku=r["sku"],
                lot=r["lot"],
                expiry=r["expiry"],
                from_location=r["from_location"],
                to_location=r["to_location"],
                user=r["user_code"],
                device=r["device"],
                document=r["document"],
                reason=r["reason"],
            )
            for r in rows
        ]

    return _Stream("movement", read)


def _events(field_name: str, value: str) -> _Stream:
    """Document events (not stock.*: those are the movements) naming an order or waybill."""

    def read(conn: sqlite3.Connection, before: int, limit: int) -> list[TraceEntry]:
        rows = conn.execute(
            "SELECT e.seq, e.at, e.type, e.payload, COALESCE(k.actor, '') AS actor FROM events e "
            "LEFT JOIN commands k ON k.key = e.command_key "
            f"WHERE json_extract(e.payload, '$.{field_name}') = ? AND e.seq < ? "
            "ORDER BY e.seq DESC LIMIT ?",
            (value, before, limit),
        ).fetchall()
        return [_event_entry(r) for r in rows]

    return _Stream("event", read)


def _audit(actor: str) -> _Stream:
    def read(conn: sqlite3.Connection, before: int, limit: int) -> list[TraceEntry]:
        rows = conn.execute(
            "SELECT id, at, action, target, outcome, code, device FROM audit "
            "WHERE actor = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (actor, before, limit),
        ).fetchall()
        return [
            TraceEntry(
                source="audit",
                id=r["id"],
                at=r["at"],
                what=r["action"],
                user=actor.partition(":")[2],
                device=r["device"],
                document=r["target"],
                note=" ".join(x for x in (r["outcome"], r["code"]) if x),
            )
            for r in rows
        ]

    return _Stream("audit", read)


def _event_entry(r: sqlite3.Row) -> TraceEntry:
    payload: dict[str, Any] = msgspec.json.decode(r["payload"])
    document = str(
        payload.get("list_no") or payload.get("order_no") or payload.get("plan_no") or ""
    )
    return TraceEntry(
        source="event",
        id=r["seq"],
        at=r["at"],
        what=r["type"],
        user=r["actor"].partition(":")[2],
        document=document,
        reason=str(payload.get("reason") or ""),
        note=_event_note(r["type"], payload),
    )


def _event_note(type_: str, p: dict[str, Any]) -> str:
    if type_ == "order.state_changed":
        return f"{p.get('from')} → {p.get('to')}"
    if type_ == "order.customs_status":
        return f"customs {p.get('code')} → {p.get('state')}"
    if type_ == "order.packed":
        note = f"{p.get('weight_g')} g at {p.get('station')}"
        if p.get("weight_confirmed"):
            note += f", confirmed against {p.get('expected_weight_g')} g expected"
        return note
    if type_ in ("order.loaded", "loading_list.departed"):
        return f"list {p.get('list_no')}, truck {p.get('plate')}"
    scalars = [
        f"{k}={v}"
        for k, v in p.items()
        if isinstance(v, str | int | bool) and k not in ("order_no", "waybill_no", "reason")
    ]
    return ", ".join(scalars)[:160]


# -- where did it go ----------------------------------------------------------------------


def explain_difference(
    conn: sqlite3.Connection,
    *,
    sku: str,
    counted: int,
    customer: str | None = None,
    lot: str | None = None,
    location: str | None = None,
    timezone: str = "UTC",
) -> Explanation:
    """Explain a count against the ledger: the balance now, what moved since the last count
    or adjustment, what is in totes and on parcels, what is reserved, and the candidates."""
    if counted < 0:
        raise ERR.COUNT_NEGATIVE()
    s = sku_by_code(conn, sku, customer)
    key, key_args = "sku_id = ?", list[Any]([s.id])
    if lot is not None:
        key += " AND lot = ?"
        key_args.append(lot)
    loc_id = None
    if location is not None:
        loc_id = location_by_code(conn, location, active_only=False).id
    at_loc = "" if loc_id is None else " AND location_id = ?"
    loc_args = [] if loc_id is None else [loc_id]
    ledger = int(
        conn.execute(
            f"SELECT COALESCE(SUM(quantity), 0) FROM balances WHERE {key}{at_loc}",
            (*key_args, *loc_args),
        ).fetchone()[0]
    )
    mkey = " AND ".join(f"m.{c}" for c in key.split(" AND "))
    touches, touch_args = "", []
    if loc_id is not None:
        touches, touch_args = (
            " AND (m.from_location_id = ? OR m.to_location_id = ?)",
            [loc_id, loc_id],
        )
    last = conn.execute(
        f"SELECT m.id, m.at FROM movements m WHERE {mkey}{touches} "
        "AND m.kind IN ('count', 'adjust') ORDER BY m.id DESC LIMIT 1",
        (*key_args, *touch_args),
    ).fetchone()
    since_id = int(last["id"]) if last else 0
    rows = conn.execute(
        _MOVEMENT_COLUMNS + f"WHERE {mkey}{touches} AND m.id > ? ORDER BY m.id LIMIT 1000",
        (*key_args, *touch_args, since_id),
    ).fetchall()
    lines = [_movement_line(r, location) for r in rows]
    held = _held_in_totes_and_parcels(conn, key, key_args)
    if location is not None:
        picked_here = {m.document for m in lines if m.kind == "pick" and m.direction == "out"}
        held = [h for h in held if h.order_no in picked_here]
    reserved = [
        Reserved(location=r["location"], quantity=r["open"], lot=r["lot"], order_no=r["order_no"])
        for r in conn.execute(
            "SELECT l.code AS location, a.quantity - a.picked_qty AS open, a.lot, o.order_no "
            "FROM allocations a JOIN orders o ON o.id = a.order_id "
            "JOIN locations l ON l.id = a.location_id "
            f"WHERE {' AND '.join(f'a.{c}' for c in key.split(' AND '))}"
            f"{'' if loc_id is None else ' AND a.location_id = ?'} "
            "AND a.status = 'open' AND a.quantity > a.picked_qty ORDER BY a.id",
            (*key_args, *loc_args),
        )
    ]
    difference = counted - ledger
    return Explanation(
        customer=s.customer,
        sku=sku,
        lot=lot,
        location=location,
        ledger_quantity=ledger,
        counted=counted,
        difference=difference,
        since=last["at"] if last else None,
        since_movement_id=since_id or None,
        movements_since=lines,
        held_elsewhere=held,
        reserved=reserved,
        candidates=_candidates(difference, lines, held, reserved, location, ZoneInfo(timezone)),
    )


def _movement_line(r: sqlite3.Row, location: str | None) -> MovementLine:
    if location is not None:
        direction = "in" if r["to_location"] == location else "out"
    else:
        direction = "in" if not r["from_location"] else "out" if not r["to_location"] else "move"
    return MovementLine(
        id=r["id"],
        at=r["at"],
        kind=r["kind"],
        quantity=r["quantity"],
        lot=r["lot"],
        expiry=r["expiry"],
        from_location=r["from_location"],
        to_location=r["to_location"],
        user=r["user_code"],
        device=r["device"],
        document=r["document"],
        reason=r["reason"],
        direction=direction,  # type: ignore[arg-type]
    )


def _held_in_totes_and_parcels(
    conn: sqlite3.Connection, key: str, key_args: list[Any]
) -> list[HeldElsewhere]:
    bkey = " AND ".join(f"b.{c}" for c in key.split(" AND "))
    rows = conn.execute(
        "SELECT l.code AS location, l.type, b.quantity, b.lot, b.sku_id, b.location_id, "
        "COALESCE(ot.order_no, op.order_no, '') AS order_no, "
        "COALESCE(ot.state, op.state, '') AS state FROM balances b "
        "JOIN locations l ON l.id = b.location_id "
        "LEFT JOIN orders ot ON l.type = 'tote' AND ot.tote_location_id = l.id "
        "LEFT JOIN parcels p ON l.type = 'parcel' AND p.location_id = l.id "
        "LEFT JOIN orders op ON op.id = p.order_id "
        f"WHERE {bkey} AND l.type IN ('tote', 'parcel') ORDER BY l.code",
        key_args,
    ).fetchall()
    held = []
    for r in rows:
        picker = conn.execute(
            "SELECT user_code FROM movements WHERE document = ? AND document != '' "
            "AND kind = 'pick' AND sku_id = ? ORDER BY id DESC LIMIT 1",
            (r["order_no"], r["sku_id"]),
        ).fetchone()
        held.append(
            HeldElsewhere(
                location=r["location"],
                location_type=r["type"],
                quantity=r["quantity"],
                lot=r["lot"],
                order_no=r["order_no"],
                order_state=r["state"],
                picked_by=picker["user_code"] if picker else "",
            )
        )
    return held


def _candidates(
    difference: int,
    lines: list[MovementLine],
    held: list[HeldElsewhere],
    reserved: list[Reserved],
    location: str | None,
    tz: ZoneInfo,
) -> list[Candidate]:
    if difference == 0:
        return []
    gap = abs(difference)

    def clock(at: str) -> str:
        return datetime.fromisoformat(at).astimezone(tz).strftime("%m-%d %H:%M")

    found: list[Candidate] = []
    held_by_order = {h.order_no: h for h in held}
    for h in held:
        where = "tote" if h.location_type == "tote" else "parcel"
        by = f" picked by {h.picked_by}" if h.picked_by else ""
        found.append(
            Candidate(
                kind="picked",
                quantity=h.quantity,
                location=h.location,
                user=h.picked_by,
                at="",
                order_no=h.order_no,
                matches=h.quantity == gap,
                text=f"{h.quantity} units in {where} {h.location} for order {h.order_no}{by}",
            )
        )
    for m in reversed(lines):
        if m.direction == "in" or (m.kind == "pick" and m.document in held_by_order):
            continue
        if m.kind == "pick":
            kind, text = "picked", f"{m.quantity} units picked for order {m.document} by {m.user}"
        elif m.kind == "ship":
            kind, text = "shipped", f"{m.quantity} units shipped on {m.document} ({m.user})"
        elif m.kind in ("adjust", "count"):
            kind, text = "adjusted", f"{m.quantity} units adjusted out by {m.user}"
        else:
            target = (
                m.to_location if location is not None else f"{m.from_location} → {m.to_location}"
            )
            kind, text = "moved_out", f"{m.quantity} units moved to {target} by {m.user}"
        if location is None and kind == "moved_out":
            continue  # inside the building: still counted somewhere
        if difference > 0:
            text = f"booked out but perhaps still here: {text}"
        found.append(
            Candidate(
                kind=kind,  # type: ignore[arg-type]
                quantity=m.quantity,
                location=m.to_location or m.from_location,
                user=m.user,
                at=m.at,
                order_no=m.document if kind in ("picked",) else "",
                matches=m.quantity == gap,
                text=f"{text} at {clock(m.at)}",
            )
        )
    if difference < 0:
        for r in reserved:
            found.append(
                Candidate(
                    kind="reserved",
                    quantity=r.quantity,
                    location=r.location,
                    user="",
                    at="",
                    order_no=r.order_no,
                    matches=r.quantity == gap,
                    text=f"{r.quantity} units at {r.location} reserved for order {r.order_no}, "
                    "not yet confirmed as picked",
                )
            )
    found.sort(key=lambda c: not c.matches)  # stable: newest first within each group
    return found[:20]
