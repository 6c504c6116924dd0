"""The per-request path stays cheap: no task group to resolve a handler's dependencies, the
guard's token lookup on the event loop (no thread hop) with no copy of the route handler,
handlers in the server's own pool; and the guard's answers unchanged."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import litestar._kwargs.kwargs_model as kwargs_model
import litestar.connection.request as request_module
import litestar.handlers.base as handlers_base
import pytest

import server.web as web
from server.db import Database
from tests.conftest import Api


def test_a_handlers_dependencies_resolve_without_a_task_group(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A declared command takes `db` and `actor`: Litestar would start an anyio task group
    (a task per dependency) for them on every request."""
    api.get("/api/v1/customers")  # the login happens before the patch

    def no_task_group() -> Any:
        raise AssertionError("a task group was started to resolve dependencies")

    monkeypatch.setattr(kwargs_model, "create_task_group", no_task_group)
    answer = api.post("/api/v1/customers", json={"code": "TG1", "name": "Task groups"})
    assert answer.status_code == 200, answer.text


def test_the_guard_looks_the_token_up_on_the_event_loop_not_in_a_thread(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.get("/api/v1/customers")
    on_loop: list[bool] = []
    lookup = web.actor_for_token if hasattr(web, "actor_for_token") else None

    def spy(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        assert lookup is not None
        return lookup(*args, **kwargs)

    monkeypatch.setattr(web, "actor_for_token", spy, raising=False)
    assert api.get("/api/v1/customers").status_code == 200
    assert on_loop == [True]


def test_the_guard_still_refuses_in_its_order(api: Api) -> None:
    """One guard now: no token is a 401 before a repeated query parameter's 400, and a
    role refused is a 403 (audited as denied) before it too."""
    no_token = api.client.get("/api/v1/customers?limit=1&limit=2")
    assert no_token.status_code == 401
    wrong_role = api.client.get("/api/v1/users?limit=1&limit=2", headers=api.headers("picker"))
    assert wrong_role.status_code == 403
    repeated = api.get("/api/v1/customers?limit=1&limit=2")
    assert repeated.status_code == 400
    assert repeated.json()["error"]["code"] == "QUERY_PARAMETER_REPEATED"
    denied = api.db.read(
        lambda conn: conn.execute(
            "SELECT COUNT(*) FROM audit WHERE outcome = 'denied' AND actor = 'user:picker01'"
        ).fetchone()[0]
    )
    assert denied == 1


def test_handlers_run_in_the_servers_own_handler_pool(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not asyncio's default pool (CPUs + 4 threads: 6 on a 2-core site), which capped how
    many writes could wait together for one commit."""
    api.get("/api/v1/customers")
    threads: list[str] = []
    real_read = Database.read

    def spy(self: Database, fn: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_read(self, fn)

    monkeypatch.setattr(Database, "read", spy)
    assert api.get("/api/v1/customers").status_code == 200
    assert any(name.startswith("handler") for name in threads), threads


def test_the_guard_gets_the_route_handler_without_a_copy(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.get("/api/v1/customers")

    def no_copy(_: Any) -> Any:
        raise AssertionError("the route handler was copied for a guard")

    monkeypatch.setattr(handlers_base, "copy", no_copy)
    assert api.get("/api/v1/customers").status_code == 200
    assert api.client.get("/api/v1/customers").status_code == 401


def test_a_json_body_is_decoded_once_into_its_struct(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strict check before the handler decodes the body into its struct; Litestar's
    own decoding to plain values and conversion would do it a second time."""
    api.get("/api/v1/customers")

    def no_second_decode(*_: Any, **__: Any) -> Any:
        raise AssertionError("the body was decoded a second time")

    monkeypatch.setattr(request_module, "decode_json", no_second_decode)
    answer = api.post("/api/v1/customers", json={"code": "ONCE", "name": "Decoded once"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["code"] == "ONCE"
    loose = api.post("/api/v1/customers", json={"code": "ONCE2", "name": 5})
    assert loose.status_code == 400
