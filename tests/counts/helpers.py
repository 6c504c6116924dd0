"""Count helpers shared by the API tests and the demo-day contract flow."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def count_location(
    api: Api, location: str, items: list[dict[str, Any]], role: str = "counter"
) -> dict[str, Any]:
    """Start a blind count of `location`, enter the items, submit; the submit answer."""
    task = ok(api.post("/api/v1/counts/start", role=role, json={"location": location}))
    for item in items:
        ok(api.post(f"/api/v1/counts/{task['id']}/lines", role=role, json=item))
    answer: dict[str, Any] = ok(api.post(f"/api/v1/counts/{task['id']}/submit", role=role))
    return answer


def pending_proposals(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(api.get("/api/v1/count-proposals?status=pending"))
    return found
