"""Browser hardening headers on every kind of answer, and paths the OS cannot name."""

from __future__ import annotations

from typing import Any

import pytest

from server.security_headers import CONTENT_SECURITY_POLICY
from tests.api.test_error_shape import assert_error
from tests.conftest import Api, seed_basics

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def assert_hardened(answer: Any) -> None:
    for name, value in EXPECTED.items():
        assert answer.headers.get(name) == value, (name, answer.status_code, answer.url)


def test_the_policy_allows_no_inline_script_or_style_and_no_framing() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    # WebAssembly (the camera scan's decoder) may compile; JavaScript eval may not.
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY.replace("'wasm-unsafe-eval'", "")


ANONYMOUS_ANSWERS = [
    ("page", "GET", "/", 200),
    ("page by name", "GET", "/home.html", 200),
    ("service worker", "GET", "/sw.js", 200),
    ("missing page", "GET", "/no-such-page.html", 404),
    ("missing API route", "GET", "/api/v1/no-such-route", 404),
    ("unauthenticated", "GET", "/api/v1/customers", 401),
    ("public API", "GET", "/health", 200),
    ("OpenAPI document", "GET", "/schema/openapi.json", 200),
    ("method not allowed", "DELETE", "/api/v1/customers", 405),
    ("options", "OPTIONS", "/api/v1/customers", 204),
    ("NUL byte in a path", "GET", "/%00", 404),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "status"), ANONYMOUS_ANSWERS, ids=[a[0] for a in ANONYMOUS_ANSWERS]
)
def test_every_kind_of_answer_carries_the_security_headers(
    api: Api, case: str, method: str, path: str, status: int
) -> None:
    answer = api.client.request(method, path)
    assert answer.status_code == status, answer.text
    assert_hardened(answer)


@pytest.mark.parametrize(
    "path",
    ["/js/api.js", "/css/app.css", "/icons/icon-192.png", "/vendor/zxing-wasm-3.1.8/package.json"],
)
def test_a_file_a_page_loads_carries_nosniff_and_no_document_headers(api: Api, path: str) -> None:
    answer = api.client.get(path)
    assert answer.status_code == 200
    assert answer.headers["x-content-type-options"] == "nosniff"
    if not path.endswith(".json"):  # a JSON file may be opened as a document: all of them
        assert "content-security-policy" not in answer.headers
        assert "x-frame-options" not in answer.headers
    else:
        assert_hardened(answer)


def test_answers_to_logged_in_users_carry_the_security_headers(api: Api) -> None:
    seed_basics(api)
    assert_hardened(api.get("/api/v1/customers"))
    assert_hardened(api.post("/api/v1/customers", json={"code": "C9", "name": "x"}))
    assert_hardened(api.post("/api/v1/customers", json={"code": "C9"}))  # 400
    assert_hardened(api.get("/api/v1/customers", role="picker"))  # 403
    assert_hardened(api.get("/api/v1/orders/999999"))  # 404 from a service


@pytest.mark.parametrize("path", ["/%00", "/a%00b", "/index.html%00", "/js/%00", "/css/x%00.css"])
def test_a_path_with_a_nul_byte_is_a_missing_page_not_a_server_error(api: Api, path: str) -> None:
    assert_error(api.client.get(path), 404, "NOT_FOUND")
    assert api.client.head(path).status_code == 404
