"""The route sweep: no writing route is a side door around the flows.

Every route that writes (found from the app, so a new route is swept without being
named here) is called as every role, as a station and as the OMS, with bodies built from
its OpenAPI request schema and filled with dangerous values: parcel and tote codes, a
held order's ids and waybill, stocked locations, a departed list's number, every enum
value (kind `ship`, `adjust`, type `storage`, ...). Legitimate unrelated writes may
succeed; after each route these must still hold:

- every parcel holds what it held;
- no goods left the ledger by `ship`;
- the goods of orders held by customs (500) did not move, nor did their reservations;
- every location that held stock keeps its type, customer and zone;
- balances equal the sum of movements, and no answer was a 500.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.config import ROLES, StationSettings
from server.ledger.service import balances_from_movements, stored_balances
from tests.conftest import Api
from tests.dock.test_checkout import packed_parcel, ready, scan, truck
from tests.outbound.helpers import (
    add_order,
    customs,
    outbound_settings,
    picked_order,
    put_stock,
    release,
    seed_outbound,
    wave,
)

CALLERS = [*ROLES, "station", "oms"]
STRONGEST_FIRST = ["admin", "supervisor", "oms", "station", *ROLES]
BODIES_FOR_THE_STRONGEST = 120
BODIES_FOR_OTHER_ALLOWED = 4
WRITES = ("POST", "PUT", "PATCH", "DELETE")
NOT_SWEPT = {"/api/v1/auth/logout", "/api/v1/auth/login"}
"""Logging in and out changes who is calling, not what the warehouse holds."""


class Site:
    """What the sweep attacks, and the facts it must leave as they were."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.stocked: list[int] = []
        seed_outbound(api)
        put_stock(api, "A-1", "S1", 50)
        put_stock(api, "A-3", "S1", 10)
        put_stock(api, "A-2", "S2", 20, customer="C2")
        gone = packed_parcel(api, "T-5")  # departs: its list's number is a dangerous value
        listed = api.post("/api/v1/loading-lists", role="dock", json=truck([gone["waybill_no"]]))
        self.departed_list = listed.json()["list_no"]
        ready(api, listed.json()["id"])
        assert scan(api, listed.json()["id"], gone["waybill_no"]).status_code == 200
        departed = api.post(
            f"/api/v1/loading-lists/{listed.json()['id']}/depart", role="dock", json={}
        )
        assert departed.status_code == 200, departed.text
        self.released = packed_parcel(api, "T-1")  # released, on the lane, no truck yet
        self.held_packed = packed_parcel(api, "T-2")
        self.held_picked = picked_order(api, [{"sku": "S1", "quantity": 2}], tote="T-3")
        self.held_allocated = add_order(api, [{"sku": "S1", "quantity": 3}])
        release(api, self.held_allocated["order_no"])
        wave(api, order_nos=[self.held_allocated["order_no"]])
        self.held = [self.held_packed, self.held_picked, self.held_allocated]
        for order in self.held:
            assert customs(api, order["order_no"], 500).status_code == 200
        self.parcels = [f"PCL-{o['waybill_no']}" for o in (self.released, self.held_packed)]
        self.locations = [*self.parcels, "T-3", "A-1", "A-3", "DOCK-1", "STG-1", "INSP-01"]
        self.locations += ["OUT-01"]
        self.strings = [*self.locations, self.departed_list, "C1", "S1", "6901234567892"]
        self.strings += [o[k] for o in self.held for k in ("order_no", "waybill_no")]

    def facts(self) -> dict[str, Any]:
        def read(conn: Any) -> dict[str, Any]:
            stocked = self.stocked or [0]

            def rows(sql: str, *params: Any) -> list[tuple[Any, ...]]:
                return [tuple(r) for r in conn.execute(sql, params)]

            held_ids = [o["id"] for o in self.held]
            marks = ",".join("?" * len(held_ids))
            return {
                "parcels": rows(
                    "SELECT l.code, b.customer_id, b.sku_id, b.lot, b.quantity FROM balances b "
                    "JOIN locations l ON l.id = b.location_id "
                    "WHERE l.id IN (SELECT location_id FROM parcels) ORDER BY 1, 2, 3, 4"
                ),
                "ships": rows("SELECT COUNT(*) FROM movements WHERE kind = 'ship'"),
                "held goods": rows(
                    "SELECT l.code, b.sku_id, b.lot, b.quantity FROM balances b "
                    "JOIN locations l ON l.id = b.location_id WHERE l.id IN ("
                    f"SELECT tote_location_id FROM orders WHERE id IN ({marks}) UNION "
                    f"SELECT location_id FROM parcels WHERE order_id IN ({marks})) ORDER BY 1, 2, 3",
                    *held_ids,
                    *held_ids,
                ),
                # A cancellation may release a claim on stock still in storage (no goods
                # move); what was picked for a held order stays picked.
                "held reservations": rows(
                    "SELECT id, location_id, quantity, picked_qty FROM allocations "
                    f"WHERE order_id IN ({marks}) ORDER BY id",
                    *held_ids,
                ),
                "stocked locations": rows(
                    "SELECT code, type, customer_id, zone FROM locations WHERE id IN "
                    f"({','.join('?' * len(stocked))}) ORDER BY code",
                    *stocked,
                ),
                "balances = movements": stored_balances(conn) == balances_from_movements(conn),
            }

        return self.api.db.read(read)

    def note_stocked_locations(self) -> None:
        """The locations holding stock now: theirs are the type, customer and zone to keep."""
        self.stocked = self.api.db.read(
            lambda conn: [r[0] for r in conn.execute("SELECT DISTINCT location_id FROM balances")]
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = outbound_settings(tmp_path_factory.mktemp("sweep"))
    settings.stations.append(StationSettings(name="D1", kind="dock_door"))
    app = create_app(settings)
    with TestClient(app) as client:
        api = Api(client, app.state.db, settings)
        for caller in CALLERS:
            api.token(caller)
        yield Site(api)


# -- bodies from the OpenAPI schema ---------------------------------------------------------


class Bodies:
    """Request bodies for one route, every field drawn from the dangerous values."""

    def __init__(self, site: Site, components: dict[str, Any], rng: random.Random) -> None:
        self.site, self.components, self.rng = site, components, rng

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def choices(self, name: str, schema: dict[str, Any], depth: int = 0) -> list[Any]:
        schema = self.resolve(schema)
        for union in ("oneOf", "anyOf"):
            if union in schema:
                return [v for s in schema[union] for v in self.choices(name, s, depth)]
        if "enum" in schema:
            return list(schema["enum"])
        if "const" in schema:
            return [schema["const"]]
        kind = schema.get("type")
        if isinstance(kind, list):
            return [v for k in kind for v in self.choices(name, {**schema, "type": k}, depth)]
        if kind == "null":
            return [None]
        if kind == "boolean":
            return [True, False]
        if kind in ("integer", "number"):
            return self.numbers(name)
        if kind == "string":
            return self.strings(name, schema)
        if kind == "array":
            if depth > 2:
                return [[]]
            items = self.choices(name, schema.get("items", {}), depth + 1)
            return [[self.rng.choice(items)] for _ in range(4)] + [items[:3]] if items else [[]]
        if kind == "object" or "properties" in schema:
            return [self.build(schema, depth + 1) for _ in range(4)] if depth <= 2 else [{}]
        return [None]

    def numbers(self, name: str) -> list[Any]:
        if name.endswith("_id") or name == "id":
            return [o["id"] for o in self.site.held] + [1, 2]
        if "weight" in name:
            return [850, 1000]
        if "quantity" in name:
            return [1, 2, 1001]  # 1001: over the approval limit
        return [1, 2, 500, 1001]

    def strings(self, name: str, schema: dict[str, Any]) -> list[Any]:
        fmt = schema.get("format", "")
        if fmt == "date-time":
            return ["2026-11-23T09:00:00+00:00"]
        if fmt == "date":
            return ["2027-06-30"]
        lowered = name.lower()
        if lowered in ("lot", "expiry"):
            return [""]
        if "customer" in lowered:
            return ["C1"]  # the owner of the parcels' and held orders' goods
        if lowered == "sku":
            return ["S1"]
        if any(w in lowered for w in ("location", "tote", "lane", "from", "to", "scan")):
            return list(self.site.locations)
        return list(self.site.strings)

    def build(self, schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
        schema = self.resolve(schema)
        required = set(schema.get("required", []))
        body = {}
        for name, prop in schema.get("properties", {}).items():
            if name in required or self.rng.random() < 0.5:
                body[name] = self.rng.choice(self.choices(name, prop, depth) or [None])
        return body


def write_routes(site: Site) -> list[tuple[str, str, dict[str, Any] | None, frozenset[str]]]:
    """(method, path template, request schema, allowed callers) of every writing route."""
    app = site.api.client.app
    openapi = app.openapi_schema.to_schema()
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods & set(WRITES)):
                if route.path in NOT_SWEPT:
                    continue
                doc_path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
                operation = openapi["paths"].get(doc_path, {}).get(method.lower(), {})
                content = operation.get("requestBody", {}).get("content", {})
                schema = content.get("application/json", {}).get("schema")
                found.append((method, route.path, schema, frozenset(handler.opt["roles"])))
    return found


def path_values(site: Site, path: str) -> list[str]:
    """The route's path with its parameters filled, a few ways."""
    held_ids = [str(o["id"]) for o in site.held]
    by_name = {
        "order_id": held_ids,
        "kind": ["locations", "skus", "customers"],
        "name": ["pack-01", "D1", "label-1"],
        "code": ["nobody"],
    }
    variants = [
        re.sub(
            r"\{(\w+):\w+\}",
            lambda m, i=i: (options := by_name.get(m.group(1), ["1", "2", "3"]))[i % len(options)],
            path,
        )
        for i in range(3)
    ]
    return list(dict.fromkeys(variants))


def files_with_dangerous_rows(site: Site) -> list[tuple[bytes, str]]:
    """For routes that take a file: location rows that would retype or take over codes."""
    rows = [
        {"code": code, "zone": "Z", "type": type_}
        for code in site.locations
        for type_ in ("storage", "tote", "staging")
    ]
    csv = "code,zone,type\n" + "".join(f"{r['code']},{r['zone']},{r['type']}\n" for r in rows)
    return [(json.dumps(rows).encode(), "application/json"), (csv.encode(), "text/csv")]


def test_no_writing_route_moves_goods_around_the_flows(site: Site) -> None:
    api = site.api
    components = api.client.app.openapi_schema.to_schema().get("components", {}).get("schemas", {})
    routes = write_routes(site)
    assert len(routes) >= 60  # every writing route of the app, not a list kept by hand
    site.note_stocked_locations()
    before = site.facts()
    assert before["parcels"] and before["held goods"] and before["held reservations"]
    problems: list[str] = []
    n = 0
    for method, path, schema, allowed in routes:
        rng = random.Random(zlib.crc32(f"{method} {path}".encode()))
        bodies = Bodies(site, components, rng)
        paths = path_values(site, path)
        strongest = (
            next(c for c in STRONGEST_FIRST if c in allowed) if allowed & set(CALLERS) else None
        )
        for caller in CALLERS:
            if caller == strongest:
                tries = BODIES_FOR_THE_STRONGEST
            elif caller in allowed:
                tries = BODIES_FOR_OTHER_ALLOWED
            else:
                tries = 1
            for i in range(tries):
                n += 1
                headers = api.headers(caller, key=f"sweep-{n}")
                url = paths[i % len(paths)]
                if schema is None and i % 3 == 2:
                    content, kind = files_with_dangerous_rows(site)[i % 2]
                    answer = api.client.request(
                        method, url, headers={**headers, "Content-Type": kind}, content=content
                    )
                else:
                    body = bodies.build(schema) if schema else {}
                    answer = api.client.request(method, url, headers=headers, json=body)
                if answer.status_code >= 500:
                    problems.append(
                        f"{method} {url} as {caller}: {answer.status_code} {answer.text[:200]}"
                    )
        after = site.facts()
        for fact, value in before.items():
            if after[fact] != value:
                problems.append(f"{method} {path}: {fact} changed: {value} -> {after[fact]}")
        site.note_stocked_locations()
        before = site.facts()
    assert problems == [], "\n".join(problems)
