"""The OpenAPI document says what the server does: our error shape, the bearer scheme,
the required Idempotency-Key, each route's error answers; and 405 answers name `Allow`."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from server.api_examples import BODY_EXAMPLES, FILE_EXAMPLES
from server.commands import check_idempotency_key
from server.errors import InvalidInput
from server.openapi_doc import _structs_of, key_is_documented_valid
from tests.conftest import Api

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def document(api: Api) -> dict[str, Any]:
    answer = api.client.get("/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    ]


def test_every_error_answer_is_documented_with_our_error_shape(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]
    for path, method, op in _operations(document):
        errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
        assert "500" in errors, (method, path)
        for status, answer in errors.items():
            assert answer["content"]["application/json"]["schema"] == ERROR_REF, (
                method,
                path,
                status,
            )


def test_routes_document_their_4xx_answers(document: dict[str, Any]) -> None:
    post_customer = document["paths"]["/api/v1/customers"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422", "500"} <= set(post_customer)
    get_sku = document["paths"]["/api/v1/skus/{customer}/{code}"]["get"]["responses"]
    assert {"401", "403", "404"} <= set(get_sku) and "409" not in get_sku
    login = document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"400", "401", "429"} <= set(login) and "403" not in login
    assert "Retry-After" in login["429"]["headers"]


def test_bearer_scheme_is_documented_and_public_routes_need_none(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert document["paths"]["/health"]["get"]["security"] == []
    assert "security" not in document["paths"]["/api/v1/customers"]["post"]


def test_idempotency_key_is_documented_required(document: dict[str, Any]) -> None:
    keyed = [
        (path, method, p)
        for path, method, op in _operations(document)
        for p in op.get("parameters", [])
        if p["name"] == "Idempotency-Key"
    ]
    assert len(keyed) > 40
    for path, method, parameter in keyed:
        assert parameter["required"] is True, (method, path)
        assert parameter["schema"]["maxLength"] == 128


def test_missing_idempotency_key_keeps_its_own_code(api: Api) -> None:
    answer = api.post("/api/v1/customers", key=None, json={"code": "C9", "name": "x"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"


def _server_takes(key: str) -> bool:
    try:
        check_idempotency_key(key)
    except InvalidInput:
        return False
    return True


def test_documented_key_rule_is_the_server_rule() -> None:
    # A header value reaches the server latin-1 decoded, with spaces around it dropped.
    for char in map(chr, range(256)):
        for key in (char, f"a{char}b", f"{char}" * 128, f"{char}" * 129):
            sent = key.strip(" \t")
            assert key_is_documented_valid(sent) == _server_takes(sent), repr(key)


def test_operations_have_their_own_summaries(document: dict[str, Any]) -> None:
    for path, method, op in _operations(document):
        assert "Asynccallable" not in op["summary"] + op["operationId"], (method, path)
        assert "anyio" not in op.get("description", ""), (method, path)
    assert document["paths"]["/api/v1/customers"]["get"]["summary"] == "List customers"


def test_method_not_allowed_names_the_allowed_methods(api: Api) -> None:
    answer = api.client.delete("/api/v1/customers", headers=api.headers("admin"))
    assert answer.status_code == 405
    assert set(answer.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    page = api.client.post("/index.html")
    assert page.status_code == 405 and "GET" in page.headers["allow"]


def test_repeated_query_parameter_is_refused(api: Api) -> None:
    answer = api.client.get("/api/v1/orders?courier=SF&courier=YT", headers=api.headers("admin"))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "QUERY_PARAMETER_REPEATED"


def test_body_schemas_keep_their_constraints(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    wave = schemas["WaveIn"]
    assert wave["additionalProperties"] is False
    assert "pattern" in wave["properties"]["order_nos"]["items"]
    imports = document["paths"]["/api/v1/plan-imports"]["post"]["requestBody"]
    assert imports["required"] is True and "text/csv" in imports["content"]


def test_options_names_every_method_of_the_path(api: Api) -> None:
    # Litestar's own answer kept the methods of the first handlers registered on a path.
    for path, methods in {
        "/api/v1/skus": {"GET", "POST", "OPTIONS"},
        "/api/v1/stations/P1/scans": {"GET", "POST", "OPTIONS"},
        "/api/v1/customers/C1": {"GET", "OPTIONS"},
    }.items():
        answer = api.client.options(path)
        assert answer.status_code == 204, path
        assert set(answer.headers["allow"].replace(" ", "").split(",")) == methods, path


@pytest.mark.parametrize(
    ("field", "value"),
    [("active", '"false"'), ("active", "0"), ("min_shelf_life_days", '"5"')],
)
def test_a_body_value_of_the_wrong_type_is_refused_not_coerced(
    api: Api, field: str, value: str
) -> None:
    body = f'{{"code": "C9", "name": "Nine", "{field}": {value}}}'
    answer = api.post(
        "/api/v1/customers", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["details"]["problems"][0]["field"] == field
    assert api.get("/api/v1/customers/C9").status_code == 404


def test_trace_movement_direction_documents_move(document: dict[str, Any]) -> None:
    direction = document["components"]["schemas"]["MovementLine"]["properties"]["direction"]
    assert set(direction["enum"]) == {"in", "out", "move"}


def test_every_operation_has_its_own_summary_and_description(document: dict[str, Any]) -> None:
    """Walks the whole document: no operation without a summary, none named after a
    wrapper ("Asynccallable", "Handler"), and no description taken from a library."""
    for path, method, op in _operations(document):
        summary = op.get("summary", "")
        assert summary and summary.lower() not in {"asynccallable", "handler"}, (method, path)
        assert "Asynccallable" not in op["operationId"] + summary, (method, path)
        description = op.get("description", "")
        assert description, (method, path, "no description")
        assert not re.search(r"anyio|litestar|functools|partial\(", description), (method, path)


def test_every_request_body_has_an_example_the_server_decodes(
    api: Api, document: dict[str, Any]
) -> None:
    structs = {s.__name__: s for s in _structs_of(api.client.app)}
    for path, method, op in _operations(document):
        for media_type, content in op.get("requestBody", {}).get("content", {}).items():
            assert "example" in content, (method, path, media_type)
            name = content["schema"].get("$ref", "").rsplit("/", 1)[-1]
            if name:
                # Decoded as the server decodes a body: raises if the example drifted.
                msgspec.json.decode(msgspec.json.encode(content["example"]), type=structs[name])
            elif media_type == "text/csv":
                assert isinstance(content["example"], str) and "\n" in content["example"]


def test_every_example_belongs_to_a_body_of_the_document(document: dict[str, Any]) -> None:
    """No example is left behind when a body is renamed or removed."""
    used = {
        content["schema"]["$ref"].rsplit("/", 1)[-1]
        for _, _, op in _operations(document)
        for content in op.get("requestBody", {}).get("content", {}).values()
        if "$ref" in content["schema"]
    }
    assert set(BODY_EXAMPLES) <= used
    assert set(FILE_EXAMPLES) <= set(document["paths"])
