"""Every route checks the role: walk all routes and call each with every role."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from server.config import ROLES
from server.web import PUBLIC
from tests.conftest import Api

CALLERS = [*ROLES, "station", "oms"]
SAMPLE_PATH_VALUES = {
    "code": "NOPE",
    "customer": "NOPE",
    "kind": "customers",
    "file_path": "index.html",
    "path": "openapi.json",
    "plan_id": "999",
    "order_id": "999",
    "wave_id": "999",
    "task_id": "999",
    "shortage_id": "999",
    "job_id": "999",
    "name": "NOPE",
    "list_id": "999",
    "door": "NOPE",
    "reconciliation_id": "999",
    "alert_id": "999",
    "proposal_id": "999",
    "session_id": "NOPE",
    "period": "2099-01",
    "statement_id": "999",
    "line_no": "1",
}


def api_routes(api: Api) -> list[tuple[str, str, frozenset[str]]]:
    found = []
    for route in api.client.app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method in ("HEAD", "OPTIONS"):
                    continue
                path = re.sub(
                    r"\{(\w+):\w+\}", lambda m: SAMPLE_PATH_VALUES[m.group(1)], route.path
                )
                found.append((method, path, handler.opt.get("roles")))
    return found


def test_every_route_declares_its_roles(api: Api) -> None:
    undeclared = [(m, p) for m, p, roles in api_routes(api) if roles is None]
    assert undeclared == []


def test_public_routes_are_only_the_expected_ones(api: Api) -> None:
    public_api = {p for _, p, roles in api_routes(api) if PUBLIC in roles and p.startswith("/api")}
    # The site CA's facts (download address, fingerprint) are public: a new handheld reads
    # them before it trusts the site, let alone has a login.
    assert public_api == {"/api/v1/client-config", "/api/v1/auth/login", "/api/v1/tls/ca"}


def test_role_matrix(api: Api) -> None:
    routes = [(m, p, r) for m, p, r in api_routes(api) if PUBLIC not in r]
    routes.sort(
        key=lambda route: route[1] == "/api/v1/auth/logout"
    )  # logout ends the session: last
    assert len(routes) >= 15
    failures = []
    for method, path, allowed in routes:
        for caller in CALLERS:
            answer = api.client.request(
                method, path, headers=api.headers(caller, key="matrix"), json={}
            )
            denied = (
                answer.status_code == 403 and answer.json()["error"]["code"] == "ROLE_NOT_ALLOWED"
            )
            if denied == (caller in allowed):
                failures.append(
                    f"{method} {path} as {caller}: {answer.status_code} (allowed: {sorted(allowed)})"
                )
        anonymous = api.client.request(method, path, json={})
        if anonymous.status_code != 401:
            failures.append(f"{method} {path} without a token: {anonymous.status_code}")
    assert failures == []


def test_a_denied_attempt_is_audited(api: Api) -> None:
    answer = api.post("/api/v1/customers", role="picker", json={"code": "C1", "name": "x"})
    assert answer.status_code == 403
    row = api.db.read(
        lambda conn: conn.execute("SELECT * FROM audit WHERE outcome = 'denied'").fetchone()
    )
    assert (row["actor"], row["action"], row["code"], row["device"]) == (
        "user:picker01",
        "POST /api/v1/customers",
        "ROLE_NOT_ALLOWED",
        "test-picker",
    )


@pytest.mark.parametrize("token", ["", "Bearer", "Bearer nonsense", "Basic abc"])
def test_bad_tokens_are_unauthenticated(api: Api, token: str) -> None:
    answer = api.client.get("/api/v1/customers", headers={"Authorization": token})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
