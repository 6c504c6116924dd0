"""Stock reconciliation with the OMS: snapshots at a journal point, comparison with the book.

Through the in-process HTTP client on a real SQLite file; the property test at the end
drives the ledger's own service with random movements.
"""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from server.commands import Actor, run_command
from server.db import Database
from server.errors import DomainError
from server.ledger.schemas import MovementIn
from server.ledger.service import post_movement
from server.reconcile.service import stock_as_of
from tests.conftest import Api, movement_by_service, new_key

SKUS = (
    {"customer": "C1", "code": "S1", "name": "Soap", "customs_record_no": "GJC1000001"},
    {"customer": "C1", "code": "S3", "name": "Cream", "customs_record_no": "GJC1000003"},
    {"customer": "C2", "code": "S2", "name": "Gel", "customs_record_no": "GJC2000002"},
)


def seed(api: Api) -> None:
    for role in ("oms", "picker", "station"):
        api.token(role)  # logins write rows of their own: before any counting
    for code in ("C1", "C2"):
        body = {"code": code, "name": f"Customer {code}", "customs_book_no": f"T2924W{code}"}
        assert api.post("/api/v1/customers", json=body).status_code == 200
    for sku in SKUS:
        assert api.post("/api/v1/skus", json=sku).status_code == 200, sku
    for code, type_ in (("DOCK-1", "dock"), ("A-1", "storage"), ("A-2", "storage")):
        answer = api.post("/api/v1/locations", json={"code": code, "zone": code[0], "type": type_})
        assert answer.status_code == 200, answer.text
    answer = api.post(
        "/api/v1/locations", json={"code": "A-3", "zone": "A", "type": "storage", "customer": "C2"}
    )
    assert answer.status_code == 200, answer.text


def movement(api: Api, kind: str, sku: str, quantity: int, **where: str) -> None:
    """Every kind of movement the book sees, straight into the ledger (a dock, a put-away
    and a count are flows' business, not the manual route's)."""
    customer = next(s["customer"] for s in SKUS if s["code"] == sku)
    reason = "cycle count" if kind in ("adjust", "count") else ""
    movement_by_service(
        api, kind=kind, customer=customer, sku=sku, quantity=quantity, reason=reason, **where
    )


def snapshot(api: Api, role: str = "supervisor", **params: Any) -> Any:
    return api.get("/api/v1/stock/snapshot", role=role, params=params)


def lines_of(answer: Any) -> list[tuple[str, str, str, str, str, int]]:
    assert answer.status_code == 200, answer.text
    return [
        (r["customer"], r["sku"], r["customs_record_no"], r["lot"], r["expiry"], r["quantity"])
        for r in answer.json()["lines"]
    ]


# What each step leaves in the building, as the test plants it.
STEPS: list[tuple[str, str, int, dict[str, str]]] = [
    ("receive", "S1", 10, {"to_location": "DOCK-1", "lot": "L1", "expiry": "2027-06-30"}),
    ("receive", "S1", 5, {"to_location": "DOCK-1", "lot": "L2", "expiry": "2027-09-30"}),
    ("receive", "S3", 3, {"to_location": "DOCK-1"}),
    ("receive", "S2", 8, {"to_location": "A-3"}),
    ("putaway", "S1", 6, {"from_location": "DOCK-1", "to_location": "A-1", "lot": "L1", "expiry": "2027-06-30"}),
    ("move", "S1", 2, {"from_location": "A-1", "to_location": "A-2", "lot": "L1", "expiry": "2027-06-30"}),
    ("adjust", "S1", 3, {"from_location": "A-1", "lot": "L1", "expiry": "2027-06-30"}),
    ("adjust", "S1", 1, {"from_location": "DOCK-1", "lot": "L2", "expiry": "2027-09-30"}),
    ("adjust", "S2", 2, {"to_location": "A-3"}),
    ("count", "S1", 1, {"from_location": "A-2", "lot": "L1", "expiry": "2027-06-30"}),
    ("count", "S1", 1, {"to_location": "A-2", "lot": "L1", "expiry": "2027-06-30"}),
]  # fmt: skip

FINAL = [
    ("C1", "S1", "GJC1000001", "L1", "2027-06-30", 7),
    ("C1", "S1", "GJC1000001", "L2", "2027-09-30", 4),
    ("C1", "S3", "GJC1000003", "", "", 3),
    ("C2", "S2", "GJC2000002", "", "", 10),
]


def stocked(api: Api) -> dict[int, list[Any]]:
    """Seed, run every step; the snapshot as it was taken right after each step, by seq."""
    seed(api)
    taken = {}
    for kind, sku, quantity, where in STEPS:
        movement(api, kind, sku, quantity, **where)
        answer = snapshot(api)
        taken[answer.json()["as_of_seq"]] = lines_of(answer)
    return taken


def reconciliation_counts(api: Api) -> dict[str, int]:
    tables = ("reconciliations", "reconciliation_differences", "events", "commands")
    return api.db.read(
        lambda conn: {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    )


# -- the snapshot -------------------------------------------------------------------------


def test_snapshot_sums_every_location_per_customer_sku_lot(api: Api) -> None:
    stocked(api)
    answer = snapshot(api)
    assert lines_of(answer) == FINAL
    body = answer.json()
    assert body["totals"]["lines"] == 4 and body["totals"]["quantity"] == 24
    assert [(t["customer"], t["customs_book_no"], t["quantity"]) for t in body["totals"]["by_customer"]] == [
        ("C1", "T2924WC1", 14),
        ("C2", "T2924WC2", 10),
    ]  # fmt: skip
    assert body["taken_at"] and body["as_of_at"]


def test_snapshot_at_an_earlier_seq_is_what_stood_then(api: Api) -> None:
    taken = stocked(api)
    assert len(taken) == len(STEPS)
    snapshots = [taken[seq] for seq in sorted(taken)]
    # A transfer inside the building changes no total; every other step changes one.
    changed = [a != b for a, b in itertools.pairwise([[], *snapshots])]
    assert changed == [kind not in ("putaway", "move") for kind, *_ in STEPS]
    for seq, lines in taken.items():
        assert lines_of(snapshot(api, as_of_seq=seq)) == lines, f"as of {seq}"
    first = min(taken)
    assert lines_of(snapshot(api, as_of_seq=first)) == [
        ("C1", "S1", "GJC1000001", "L1", "2027-06-30", 10)
    ]
    assert lines_of(snapshot(api, as_of_seq=0)) == []


def test_snapshot_of_one_customer(api: Api) -> None:
    taken = stocked(api)
    assert lines_of(snapshot(api, role="oms", customer="C2")) == [FINAL[3]]
    fourth = sorted(taken)[3]
    assert lines_of(snapshot(api, customer="C2", as_of_seq=fourth)) == [
        ("C2", "S2", "GJC2000002", "", "", 8)
    ]


def test_snapshot_refuses_a_seq_beyond_the_journal_and_an_unknown_customer(api: Api) -> None:
    stocked(api)
    end = snapshot(api).json()["as_of_seq"]
    answer = snapshot(api, as_of_seq=end + 1)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "SEQ_BEYOND_JOURNAL"
    assert answer.json()["error"]["details"] == {"as_of_seq": end + 1, "latest_seq": end}
    answer = snapshot(api, customer="NOPE")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"
    assert snapshot(api, as_of_seq=-1).status_code == 400


def test_snapshot_is_for_managers_and_the_oms(api: Api) -> None:
    for role, status in (("picker", 403), ("station", 403), ("oms", 200), ("admin", 200)):
        assert snapshot(api, role=role).status_code == status, role


# -- the comparison -----------------------------------------------------------------------

OMS_BOOK = [
    {"customer": "C1", "sku": "S1", "lot": "L1", "quantity": 7},  # matches
    {"customer": "C1", "sku": "S1", "lot": "L2", "quantity": 6},  # the floor has 4
    {"customer": "C2", "sku": "S2", "quantity": 9},  # the floor has 10
    {"customer": "C1", "sku": "S1", "lot": "L9", "quantity": 2},  # not on the floor
    # C1 / S3: 3 on the floor, not in the book
]


def reconcile(api: Api, body: dict[str, Any], role: str = "oms", key: str = "auto") -> Any:
    return api.post("/api/v1/reconciliations", role=role, key=key, json=body)


def test_comparison_lists_exactly_the_planted_differences(api: Api) -> None:
    stocked(api)
    answer = reconcile(api, {"reference": "OMS-SNAP-1", "lines": OMS_BOOK})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["matched"] == 1 and report["oms_line_count"] == 4
    assert report["reference"] == "OMS-SNAP-1" and report["customer"] is None
    assert report["as_of_seq"] == snapshot(api).json()["as_of_seq"] - 1  # then its own event
    assert [
        (d["customer"], d["sku"], d["customs_record_no"], d["lot"], d["floor_quantity"], d["oms_quantity"], d["difference"], d["kind"])
        for d in report["differences"]
    ] == [
        ("C1", "S1", "GJC1000001", "L2", 4, 6, -2, "oms_more"),
        ("C1", "S1", "GJC1000001", "L9", 0, 2, -2, "missing_on_floor"),
        ("C1", "S3", "GJC1000003", "", 3, 0, 3, "missing_in_oms"),
        ("C2", "S2", "GJC2000002", "", 10, 9, 1, "floor_more"),
    ]  # fmt: skip


def test_comparison_at_an_earlier_seq_for_one_customer(api: Api) -> None:
    taken = stocked(api)
    fourth = sorted(taken)[3]  # C2 had 8 then, 10 now
    body = {
        "reference": "OMS-C2-EARLY",
        "customer": "C2",
        "as_of_seq": fourth,
        "lines": [{"customer": "C2", "sku": "S2", "quantity": 8}],
    }
    report = reconcile(api, body).json()
    assert (report["as_of_seq"], report["customer"], report["matched"]) == (fourth, "C2", 1)
    assert report["differences"] == []  # C1's stock is not in this one's scope
    now = reconcile(api, {**body, "as_of_seq": None}).json()
    assert [(d["floor_quantity"], d["kind"]) for d in now["differences"]] == [(10, "floor_more")]


def test_a_report_is_stored_with_its_event_and_read_back(api: Api) -> None:
    stocked(api)
    report = reconcile(api, {"reference": "OMS-SNAP-2", "lines": OMS_BOOK}).json()
    again = api.get(f"/api/v1/reconciliations/{report['id']}", role="oms")
    assert again.status_code == 200 and again.json() == report
    events = api.get("/api/v1/events", params={"after": report["as_of_seq"]}).json()
    assert [(e["type"], e["payload"]) for e in events] == [
        (
            "reconciliation.finished",
            {
                "id": report["id"],
                "reference": "OMS-SNAP-2",
                "customer": None,
                "as_of_seq": report["as_of_seq"],
                "matched": 1,
                "difference_count": 4,
            },
        )
    ]
    assert api.get("/api/v1/reconciliations/999").json()["error"]["code"] == (
        "RECONCILIATION_NOT_FOUND"
    )


def test_the_csv_download_lists_the_differences(api: Api) -> None:
    stocked(api)
    book = [*OMS_BOOK, {"customer": "C1", "sku": "S3", "lot": "=HYPERLINK(1)", "quantity": 1}]
    report = reconcile(api, {"reference": "OMS-SNAP-3", "lines": book}).json()
    answer = api.get(f"/api/v1/reconciliations/{report['id']}/report.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert f"reconciliation-{report['id']}.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(r["sku"], r["lot"], r["difference"], r["kind"]) for r in rows] == [
        ("S1", "L2", "-2", "oms_more"),
        ("S1", "L9", "-2", "missing_on_floor"),
        ("S3", "", "3", "missing_in_oms"),
        ("S3", "'=HYPERLINK(1)", "-1", "missing_on_floor"),  # never run as a formula
        ("S2", "", "1", "floor_more"),
    ]
    assert (
        api.get(f"/api/v1/reconciliations/{report['id']}/report.csv", role="oms").status_code == 403
    )


def test_a_replayed_key_returns_the_first_report(api: Api) -> None:
    stocked(api)
    body = {"reference": "OMS-SNAP-4", "lines": OMS_BOOK}
    first = reconcile(api, body, key="oms-rec-1").json()
    movement(api, "receive", "S3", 4, to_location="DOCK-1")  # stock changes in between
    counts = reconciliation_counts(api)
    replay = reconcile(api, body, key="oms-rec-1")
    assert replay.status_code == 200 and replay.json() == first
    assert reconciliation_counts(api) == counts
    other = reconcile(api, {**body, "reference": "OMS-SNAP-5"}, key="oms-rec-1")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


# -- bad input ----------------------------------------------------------------------------


def test_every_bad_line_is_listed_at_once_and_nothing_is_stored(api: Api) -> None:
    stocked(api)
    counts = reconciliation_counts(api)
    body = {
        "reference": "OMS-BAD",
        "customer": "C1",
        "lines": [
            {"customer": "C1", "sku": "S1", "lot": "L1", "quantity": 7},
            {"customer": "C1", "sku": "NOPE", "quantity": 1},
            {"customer": "C1", "sku": "S3", "quantity": -4},
            {"customer": "C1", "sku": "S1", "lot": "L1", "quantity": 7},
            {"customer": "C9", "sku": "S1", "quantity": 1},
            {"customer": "C2", "sku": "S2", "quantity": 1},
        ],
    }
    answer = reconcile(api, body, key="oms-bad-1")
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "RECONCILIATION_REJECTED"
    assert [(p["line"], p["field"], p["code"]) for p in error["details"]["problems"]] == [
        (2, "sku", "SKU_NOT_FOUND"),
        (3, "quantity", "QUANTITY_NEGATIVE"),
        (4, "", "DUPLICATE_LINE"),
        (5, "customer", "CUSTOMER_NOT_FOUND"),
        (6, "customer", "OTHER_CUSTOMER"),
    ]
    assert error["details"]["problem_count"] == 5
    assert reconciliation_counts(api) == counts
    # Nothing was kept under the key: the corrected book goes through with it.
    fixed = {**body, "lines": body["lines"][:1]}
    assert reconcile(api, fixed, key="oms-bad-1").status_code == 200


def test_an_unknown_customer_scope_is_a_problem_too(api: Api) -> None:
    seed(api)
    answer = reconcile(api, {"reference": "R", "customer": "C9", "lines": []})
    assert answer.status_code == 422
    problems = answer.json()["error"]["details"]["problems"]
    assert [(p["line"], p["field"], p["code"]) for p in problems] == [
        (0, "customer", "CUSTOMER_NOT_FOUND")
    ]


def test_refusals_have_clear_codes_and_store_nothing(api: Api) -> None:
    stocked(api)
    end = snapshot(api).json()["as_of_seq"]
    counts = reconciliation_counts(api)
    cases = [
        ("oms", {"reference": "R", "as_of_seq": end + 1, "lines": []}, 422, "SEQ_BEYOND_JOURNAL"),
        ("picker", {"reference": "R", "lines": []}, 403, "ROLE_NOT_ALLOWED"),
        ("station", {"reference": "R", "lines": []}, 403, "ROLE_NOT_ALLOWED"),
        ("oms", {"reference": "", "lines": []}, 400, "VALIDATION_FAILED"),
        ("oms", {"reference": "R", "lines": [{"customer": "C1", "sku": "S1", "quantity": 2**70}]}, 400, "VALIDATION_FAILED"),
        ("oms", {"reference": "R", "lines": [{"customer": "C1", "sku": "S1", "qty": 1}]}, 400, "UNKNOWN_FIELD"),
        ("oms", {"reference": "R", "lines": "all of it"}, 400, "VALIDATION_FAILED"),
    ]  # fmt: skip
    for role, body, status, code in cases:
        answer = reconcile(api, body, role=role)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), body
    answer = api.client.post(
        "/api/v1/reconciliations", headers=api.headers("oms"), json={"reference": "R", "lines": []}
    )
    assert answer.json()["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert reconciliation_counts(api) == counts


# -- property: snapshot(as_of = s) == the balances right after event s ----------------------

ACTOR = Actor(kind="user", code="prop", roles=frozenset({"supervisor"}))
PROP_SKUS = {1: 1, 2: 1, 3: 2}  # sku -> customer
PROP_LOCATIONS = {1: "dock", 2: "storage", 3: "storage", 4: "outbound_lane"}
LOTS = (("", ""), ("L1", "2027-01-31"), ("L2", "2027-03-31"))

OUTGOING = ("ship", "adjust-out", "count-out", "move", "load")
operations = st.tuples(
    st.sampled_from(["receive", "adjust-in", "count-in", *OUTGOING]),
    st.sampled_from(sorted(PROP_SKUS)),
    st.sampled_from(LOTS),
    st.sampled_from(sorted(PROP_LOCATIONS)),
    st.sampled_from(sorted(PROP_LOCATIONS)),
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=0, max_value=1000),  # which held stock an outgoing one takes
)


def _seed_prop(conn: sqlite3.Connection) -> None:
    for c in (1, 2):
        conn.execute("INSERT INTO customers (id, code, name) VALUES (?, ?, 'c')", (c, f"C{c}"))
    for s, c in PROP_SKUS.items():
        conn.execute(
            "INSERT INTO skus (id, customer_id, code, name, customs_record_no) "
            "VALUES (?, ?, ?, 's', ?)",
            (s, c, f"S{s}", f"GJ{s}"),
        )
    for loc, type_ in PROP_LOCATIONS.items():
        conn.execute(
            "INSERT INTO locations (id, code, zone, type) VALUES (?, ?, 'Z', ?)",
            (loc, f"L-{loc}", type_),
        )


def _movement(conn: sqlite3.Connection, op: tuple[Any, ...]) -> MovementIn:
    """The operation as a movement; an outgoing one takes part of a balance that exists."""
    kind, sku, (lot, expiry), here, there, quantity, pick = op
    held = conn.execute(
        "SELECT location_id, sku_id, lot, expiry, quantity FROM balances "
        "ORDER BY location_id, sku_id, lot, expiry"
    ).fetchall()
    if kind in OUTGOING and held:
        row = held[pick % len(held)]
        here, sku, lot, expiry = row["location_id"], row["sku_id"], row["lot"], row["expiry"]
        quantity = 1 + (quantity - 1) % row["quantity"]
    into, out_of = {"to_location_id": here}, {"from_location_id": here}
    transfer = {"from_location_id": here, "to_location_id": there}
    where = {"move": transfer, "load": transfer}.get(kind, out_of if kind in OUTGOING else into)
    return msgspec.convert(
        {
            "kind": kind.split("-")[0],
            "customer_id": PROP_SKUS[sku],
            "sku_id": sku,
            "quantity": quantity,
            "lot": lot,
            "expiry": expiry,
            "reason": "prop" if kind.startswith(("adjust", "count")) else "",
            **where,
        },
        MovementIn,
    )


def _building_stock(conn: sqlite3.Connection) -> Counter[tuple[Any, ...]]:
    """The balances as recorded, summed over locations (what a snapshot should say)."""
    stock: Counter[tuple[Any, ...]] = Counter()
    for r in conn.execute("SELECT customer_id, sku_id, lot, expiry, quantity FROM balances"):
        stock[tuple(r)[:4]] += r["quantity"]
    return stock


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, min_size=1, max_size=30))
def test_snapshot_as_of_any_seq_equals_the_balances_recorded_then(ops: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "prop.db")
        try:
            db.migrate()
            db._write(_seed_prop)
            recorded: dict[int, Counter[tuple[Any, ...]]] = {0: Counter()}
            for op in ops:
                m = db.read(lambda conn, op=op: _movement(conn, op))
                try:
                    run_command(
                        db,
                        ACTOR,
                        "ledger.movement",
                        new_key("prop"),
                        msgspec.to_builtins(m),
                        lambda conn, ctx, m=m: post_movement(conn, ctx, m),
                    )
                except DomainError:
                    continue  # refused: no event, no change
                seq, stock = db.read(
                    lambda conn: (
                        conn.execute("SELECT MAX(seq) FROM events").fetchone()[0],
                        _building_stock(conn),
                    )
                )
                recorded[seq] = stock
            kinds = db.read(lambda conn: [r[0] for r in conn.execute("SELECT kind FROM movements")])
            note(f"movements: {kinds}")
            for seq, stock in recorded.items():
                rows = db.read(lambda conn, seq=seq: stock_as_of(conn, seq))
                found = Counter(
                    {
                        (r["customer_id"], r["sku_id"], r["lot"], r["expiry"]): r["quantity"]
                        for r in rows
                    }
                )
                assert found == +stock, f"as of {seq}"
        finally:
            db.close()
