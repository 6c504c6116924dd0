"""The `api` fixture builds its app once per module: a reused app must start afresh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from server.config import AuthSettings, DatabaseSettings, Settings
from tests.conftest import Api, app_for, seed_basics


def site(tmp_path: Path, name: str, **sections: Any) -> Settings:
    return Settings(database=DatabaseSettings(path=str(tmp_path / name)), **sections)


def requests_counted(app: Litestar, route: str, status: str) -> float | None:
    labels = {"method": "GET", "route": route, "status": status}
    value: float | None = app.state.metrics.registry.get_sample_value(
        "bondfloor_http_requests_total", labels
    )
    return value


def test_a_reused_app_serves_the_next_tests_own_database_with_fresh_state(
    tmp_path: Path,
) -> None:
    built: dict[bytes, Litestar] = {}
    first = site(tmp_path, "first.db")
    app = app_for(first, built)
    with TestClient(app) as client:
        api = Api(client, app.state.db, first)
        seed_basics(api)
        assert api.get("/api/v1/customers").status_code == 200
        wrong = client.post("/api/v1/auth/login", json={"user_code": "nobody", "pin": "0000"})
        assert wrong.status_code == 401, wrong.text
        assert requests_counted(app, "/api/v1/customers", "200") == 1
        gate = app.state.login_gate

    second = site(tmp_path, "second.db")
    again = app_for(second, built)
    assert again is app  # same settings but the file: built once
    with TestClient(again) as client:
        assert again.state.settings is second
        assert again.state.db.path == Path(second.database.path)
        assert again.state.login_gate is not gate
        assert requests_counted(again, "/api/v1/customers", "200") is None
        api = Api(client, again.state.db, second)
        answer = api.get("/api/v1/customers")
        assert answer.status_code == 200 and answer.json() == []  # nothing of the first site
        assert requests_counted(again, "/api/v1/customers", "200") == 1


def test_other_settings_get_an_app_of_their_own(tmp_path: Path) -> None:
    built: dict[bytes, Litestar] = {}
    plain = app_for(site(tmp_path, "a.db"), built)
    capped = app_for(site(tmp_path, "b.db", auth=AuthSettings(max_sessions_per_user=2)), built)
    assert capped is not plain
    assert app_for(site(tmp_path, "c.db"), built) is plain
