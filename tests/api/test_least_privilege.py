"""Least privilege, stated route by route: who may manage users, tokens and printers, who
approves, who moves stock. Widening (or narrowing) any of these routes fails here first,
on purpose: change the table only together with the decision behind it.

The role matrix (test_role_matrix.py) checks that every route enforces what it declares;
this table checks that what the sensitive routes declare is what we decided.
"""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from server.config import ROLES
from tests.conftest import Api

CALLERS = [*ROLES, "station", "oms"]
ADMIN = {"admin"}
MANAGERS = {"supervisor", "admin"}

SENSITIVE: list[tuple[str, str, set[str], str]] = [
    # -- users and sessions: only an admin creates or disables a user ------------------------
    ("POST", "/api/v1/users", ADMIN, "create a user with any roles"),
    ("POST", "/api/v1/users/{code:str}/disable", ADMIN, "disable a user"),
    # A locked-out worker on the night shift gets a new PIN from the supervisor on duty;
    # the service refuses a supervisor another manager's PIN (test below).
    ("POST", "/api/v1/users/{code:str}/reset-pin", MANAGERS, "reset a PIN"),
    # Roles are handed out by an admin only, as at creation; the user's sessions end.
    ("POST", "/api/v1/users/{code:str}/roles", ADMIN, "give a user other roles"),
    # A lock after failed logins: the supervisor on duty lifts a floor worker's; the service
    # refuses a supervisor another manager's (UNLOCK_NEEDS_ADMIN).
    ("POST", "/api/v1/users/{code:str}/unlock", MANAGERS, "lift a login lock"),
    ("GET", "/api/v1/users", MANAGERS, "list users and their roles"),
    # The admin page: everything else about a user is an admin's, as creating one is.
    ("POST", "/api/v1/users/{code:str}/enable", ADMIN, "enable a disabled user"),
    ("POST", "/api/v1/users/{code:str}/badge", ADMIN, "give a user a badge (a credential)"),
    ("POST", "/api/v1/users/{code:str}/badge/clear", ADMIN, "take a badge away"),
    ("POST", "/api/v1/users/{code:str}/language", ADMIN, "set a user's language"),
    # -- API tokens: stations and the OMS get in with these --------------------------------
    ("GET", "/api/v1/tokens", ADMIN, "list tokens and their last use"),
    ("POST", "/api/v1/tokens", ADMIN, "make a station or OMS token"),
    ("POST", "/api/v1/tokens/{name:str}/revoke", ADMIN, "revoke a token"),
    ("GET", "/api/v1/audit", MANAGERS, "read the audit log"),
    # -- printers: configuration lives in the server's TOML (admin); the API's one printer
    # action that is not floor work is the test print ------------------------------------
    ("POST", "/api/v1/printers/{name:str}/test", ADMIN, "send a test label to a printer"),
    # Floor work on labels stays on the floor: packers reprint a spoilt label, supervisors
    # send a failed job again.
    ("POST", "/api/v1/print-jobs/reprint", {"packer", *MANAGERS}, "reprint a face sheet"),
    ("POST", "/api/v1/print-jobs/{job_id:int}/retry", MANAGERS, "send a failed job again"),
    ("GET", "/api/v1/printers", {"packer", *MANAGERS}, "see the printers and queues"),
    # -- the ledger and the OMS link: supervisors correct, nobody else --------------------
    ("POST", "/api/v1/ledger/movements", MANAGERS, "post any movement by hand"),
    ("GET", "/api/v1/ledger/movements", MANAGERS, "read the movements"),
    ("POST", "/api/v1/sync/retry", MANAGERS, "retry an event the OMS refused"),
    ("POST", "/api/v1/sync/skip", MANAGERS, "skip an event the OMS refused"),
    ("POST", "/api/v1/waves", MANAGERS, "release a wave"),
    # -- counts: only a supervisor orders a count and decides what it changes -------------
    ("POST", "/api/v1/counts", MANAGERS, "order count tasks"),
    ("GET", "/api/v1/count-proposals", MANAGERS, "see adjustment proposals"),
    (
        "POST",
        "/api/v1/count-proposals/{proposal_id:int}/approve",
        MANAGERS,
        "approve an adjustment: it changes stock",
    ),
    ("POST", "/api/v1/count-proposals/{proposal_id:int}/reject", MANAGERS, "reject one"),
    ("GET", "/api/v1/trace", MANAGERS, "who did what with which stock"),
    # -- master data: supervisors and the OMS ---------------------------------------------
    ("POST", "/api/v1/customers", {"oms", *MANAGERS}, "create or change a customer"),
    ("POST", "/api/v1/skus", {"oms", *MANAGERS}, "create or change a SKU"),
    ("POST", "/api/v1/locations", {"oms", *MANAGERS}, "create or change a location"),
    # -- moves: put-away workers and supervisors; quarantine/inspection checked inside ----
    ("POST", "/api/v1/moves", {"putaway", *MANAGERS}, "move stock between locations"),
    ("GET", "/api/v1/moves/source", {"putaway", *MANAGERS}, "what a location holds, to move"),
]
SAMPLE = {"code": "NOPE", "name": "NOPE", "job_id": "999", "proposal_id": "999"}


def declared_roles(api: Api) -> dict[tuple[str, str], frozenset[str]]:
    found = {}
    for route in api.client.app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                    found[(method, route.path)] = handler.opt.get("roles")
    return found


def test_each_sensitive_route_declares_exactly_its_roles(api: Api) -> None:
    declared = declared_roles(api)
    wrong = {
        f"{method} {path} ({why})": sorted(declared.get((method, path)) or ["<route gone>"])
        for method, path, allowed, why in SENSITIVE
        if set(declared.get((method, path)) or ()) != allowed
    }
    assert wrong == {}


def test_the_server_refuses_every_caller_outside_the_table(api: Api) -> None:
    """Not only declared: called with each role and each token kind, the guard agrees."""
    failures = []
    for method, template, allowed, _ in SENSITIVE:
        path = re.sub(r"\{(\w+):\w+\}", lambda m: SAMPLE[m.group(1)], template)
        for caller in CALLERS:
            answer = api.client.request(
                method, path, headers=api.headers(caller, key=f"lp-{caller}"), json={}
            )
            denied = (
                answer.status_code == 403 and answer.json()["error"]["code"] == "ROLE_NOT_ALLOWED"
            )
            if denied == (caller in allowed):
                failures.append(f"{method} {path} as {caller}: {answer.status_code}")
    assert failures == []


def test_only_an_admin_holds_the_keys_to_users_and_printers(api: Api) -> None:
    """No role but admin reaches a route that is admin-only in the table, and the routes
    that create users or tokens or touch a printer's setup are all in the table."""
    declared = declared_roles(api)
    admin_only = {key for key, roles in declared.items() if roles == frozenset(ADMIN)}
    assert admin_only <= {(m, p) for m, p, _, _ in SENSITIVE}
    user_or_printer_setup = {
        key
        for key in declared
        if key[0] != "GET" and re.match(r"/api/v1/(users|tokens|api-tokens|printers)(/|$)", key[1])
    }
    assert user_or_printer_setup <= {(m, p) for m, p, _, _ in SENSITIVE}
    # Tokens were the command line's only; the admin page manages them now, admins only.
    token_routes = {key: roles for key, roles in declared.items() if "/tokens" in key[1]}
    assert token_routes and all(roles == frozenset(ADMIN) for roles in token_routes.values())


def test_a_supervisor_resets_a_floor_workers_pin_but_not_a_managers(api: Api) -> None:
    api.token("picker")  # picker01
    api.token("admin")  # admin01
    api.token("supervisor")  # supervisor01
    worker = api.post("/api/v1/users/picker01/reset-pin", json={"pin": "8642"})
    assert worker.status_code == 200, worker.text
    for manager in ("admin01", "supervisor01"):
        refused = api.post(f"/api/v1/users/{manager}/reset-pin", json={"pin": "8642"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (
            403,
            "PIN_RESET_NEEDS_ADMIN",
        ), manager
    by_admin = api.post("/api/v1/users/supervisor01/reset-pin", role="admin", json={"pin": "8642"})
    assert by_admin.status_code == 200, by_admin.text
    login = api.client.post("/api/v1/auth/login", json={"user_code": "admin01", "pin": "8642"})
    assert login.status_code == 401  # the admin's PIN did not change


# Routes that show how much stock lies where: a blind count is blind only if a counter
# reaches none of them.
SHOWS_QUANTITIES = [
    ("GET", "/api/v1/stock/lookup"),
    ("GET", "/api/v1/stock/snapshot"),
    ("GET", "/api/v1/putaway/pending"),
    ("GET", "/api/v1/putaway/suggest"),
    ("GET", "/api/v1/moves/source"),
    ("GET", "/api/v1/ledger/movements"),
    ("GET", "/api/v1/trace"),
    ("GET", "/api/v1/trace/export"),
    ("GET", "/api/v1/trace/explain"),
    ("GET", "/api/v1/dashboard"),
]


def test_a_counter_reaches_no_route_that_shows_stock_quantities(api: Api) -> None:
    if "counter" not in ROLES:
        return  # no blind counting on this floor
    declared = declared_roles(api)
    seeing = [f"{m} {p}" for m, p in SHOWS_QUANTITIES if "counter" in declared[(m, p)]]
    assert seeing == []
