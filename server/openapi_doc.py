"""The OpenAPI document as the server really answers.

Litestar generates the paths, parameters and typed answers from the handlers. What it
cannot know is written here, once for every route, from what each route declares:

- the one error shape (component `Error`) on every 4xx/5xx answer, in place of
  Litestar's default `{status_code, detail, extra}`;
- which errors a route can give, derived from its roles and inputs (see `error_statuses`);
- the bearer security scheme, and `security: []` on public routes;
- the `Idempotency-Key` header as the server treats it: required, with the exact rule
  `server.commands.check_idempotency_key` applies (the handler still takes it as
  optional, so a missing key keeps its own code IDEMPOTENCY_KEY_REQUIRED);
- summaries and descriptions from the handler functions (Litestar names the handlers it
  wrapped for a worker thread "Asynccallable" and takes anyio's docstring);
- an example body for every request body (server/api_examples.py).
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
import typing
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import msgspec.inspect
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.params import RawBody
from litestar.routes import HTTPRoute

from server.api_examples import BODY_EXAMPLES, FILE_EXAMPLES
from server.commands import MAX_KEY_LENGTH
from server.web import MAX_SQLITE_INT, PUBLIC

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The one error shape of every refused or failed request.",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "additionalProperties": False,
            "properties": {
                "code": {
                    "type": "string",
                    "pattern": "^[A-Z][A-Z0-9_]*$",
                    "description": "Stable UPPER_SNAKE code; clients branch on it, not on text",
                },
                "message": {"type": "string", "minLength": 1},
                "details": {"type": "object", "description": "What the refusal was about"},
            },
        }
    },
}

ERROR_DESCRIPTIONS = {
    400: "Bad input (VALIDATION_FAILED, UNKNOWN_FIELD, MALFORMED_JSON, IDEMPOTENCY_KEY_*, ...)",
    401: "Not logged in, or the session ended (UNAUTHENTICATED)",
    403: "The caller's role may not do this (ROLE_NOT_ALLOWED, ...)",
    404: "No such thing (a *_NOT_FOUND code)",
    409: "Conflicts with the current state (IDEMPOTENCY_KEY_REUSED, ...)",
    413: "The request body is too large (PAYLOAD_TOO_LARGE)",
    422: "Well formed, but the warehouse rules refuse it; nothing was changed",
    429: "Too many attempts; wait for Retry-After seconds",
    500: "The server failed; the change was not made (INTERNAL_ERROR)",
    503: "The disk is full or failing (DISK_FULL, STORAGE_ERROR); nothing was changed",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}

BEARER = "bearer"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})

# The keys `check_idempotency_key` accepts, as the server reads the header: latin-1 decoded,
# spaces around the value dropped, every character printable (str.isprintable: not the
# C0/C1 controls, no-break space or soft hyphen), at most MAX_KEY_LENGTH characters.
_KEY_CHAR = "!-~\u00a1-\u00ac\u00ae-\u00ff"
IDEMPOTENCY_KEY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_KEY_LENGTH,
    "pattern": f"^[{_KEY_CHAR}]([ {_KEY_CHAR}]*[{_KEY_CHAR}])?$",
    "description": "Unique key of this change; a replay returns the first result",
}


def error_statuses(handler: HTTPRouteHandler, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses a route can answer, from what it declares.

    Every route can fail (500) or meet a full or failing disk (503). A route that is not
    public needs a session (401) of an allowed role (403). Inputs (path, query, body) can be malformed (400), name something
    that does not exist (404), or be well formed and refused by the warehouse rules
    (422). A change runs as a command whose key may have been used before (409). A body
    may be too large (413). A route adds what its own rules can answer beyond these with
    `opt={"errors": {...}}`.
    """
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    has_input = has_body or any(p.get("in") != "header" for p in parameters)
    statuses = {500, 503}
    if parameters or has_body:
        statuses.add(400)
    if PUBLIC not in handler.opt.get("roles", frozenset()):
        statuses |= {401, 403}
    if has_input:
        statuses |= {404, 422}
    if method in WRITE_METHODS:
        statuses |= {409, 422}
    if has_body:
        statuses.add(413)
    statuses |= set(handler.opt.get("errors", ()))
    return statuses


def describe_floor_api(app: Litestar, generated: dict[str, Any]) -> dict[str, Any]:
    """Litestar's generated document, corrected to what the server answers."""
    document = copy.deepcopy(generated)
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "A session token from POST /api/v1/auth/login, or a station/OMS token",
        }
    }
    document["security"] = [{BEARER: []}]
    components["schemas"].update(_struct_schemas(_structs_of(app)))
    for path, method, handler in _operations(app):
        operation = document["paths"].get(path, {}).get(method)
        if operation is not None:
            _describe_operation(operation, method, handler)
            _add_body_example(operation, path)
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _tidy(parameter.get("schema", {}))
    return document


def _struct_schemas(structs: set[type[msgspec.Struct]]) -> dict[str, Any]:
    """The bodies' schemas as msgspec, which decodes and validates them, writes them.

    Litestar's translation loses constraints (an item's pattern, a bound beside a
    `oneOf` with null, `forbid_unknown_fields`), so valid-looking bodies were refused.
    """
    ordered = sorted(structs, key=lambda s: (s.__module__, s.__qualname__))
    _, schemas = msgspec.json.schema_components(ordered, ref_template="#/components/schemas/{name}")
    return schemas


def _tidy(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter schema as the server reads the value.

    Litestar writes integer bounds as floats (2**63-1 becomes 9.223372036854776e18, above
    the largest int the server takes) and puts a bound beside `oneOf: [T, null]` where it
    does not apply to T; the bound belongs inside T's branch.
    """
    schema = dict(schema)
    branches = schema.get("oneOf")
    if isinstance(branches, list) and {"type": "null"} in branches:
        moved = {k: schema.pop(k) for k in list(schema) if k in _CONSTRAINTS}
        schema["oneOf"] = [b if b == {"type": "null"} else _tidy({**b, **moved}) for b in branches]
        return schema
    if schema.get("type") == "integer":
        for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(schema.get(bound), float):
                schema[bound] = min(int(schema[bound]), MAX_SQLITE_INT)
    return schema


_CONSTRAINTS = frozenset(
    {
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "format",
        "enum",
    }
)


def _operations(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            for method in handler.http_methods:
                yield route.path_format or "/", method.lower(), handler


def _describe_operation(operation: dict[str, Any], method: str, handler: HTTPRouteHandler) -> None:
    fn = _handler_function(handler)
    if handler.summary is None:
        operation["summary"] = fn.__name__.replace("_", " ").capitalize()
    if handler.description is None:
        doc = inspect.getdoc(fn)
        if doc:
            operation["description"] = doc
        else:
            operation.pop("description", None)
    operation_id = operation.get("operationId", "")
    if operation_id.endswith("Asynccallable"):
        camel = "".join(part.title() for part in fn.__name__.split("_"))
        operation["operationId"] = operation_id.removesuffix("Asynccallable") + camel
    if PUBLIC in handler.opt.get("roles", frozenset()):
        operation["security"] = []
    if "requestBody" not in operation and _takes_a_file(fn):
        operation["requestBody"] = copy.deepcopy(FILE_BODY)
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key":
            parameter["required"] = True
            parameter["schema"] = dict(IDEMPOTENCY_KEY_SCHEMA)
    responses = operation.setdefault("responses", {})
    for status in [s for s in responses if s.isdigit() and int(s) >= 400]:
        del responses[status]  # Litestar's own error shape, which the server never sends
    for status in sorted(error_statuses(handler, method, operation)):
        answer: dict[str, Any] = {
            "description": ERROR_DESCRIPTIONS.get(status, "Refused"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        if status in (429, 503):
            answer["headers"] = RETRY_AFTER
        responses[str(status)] = answer


def _add_body_example(operation: dict[str, Any], path: str) -> None:
    """An example body (server/api_examples.py) on each media type of the request body."""
    for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
        ref = content.get("schema", {}).get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        if name in BODY_EXAMPLES:
            content["example"] = BODY_EXAMPLES[name]
        elif media_type in FILE_EXAMPLES.get(path, {}):
            content["example"] = FILE_EXAMPLES[path][media_type]


FILE_BODY: dict[str, Any] = {
    "description": "The file: CSV, or a JSON array of rows (see the `format` parameter)",
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    },
}


def _takes_a_file(fn: Callable[..., Any]) -> bool:
    """Whether the handler reads its body raw (an import file), which Litestar leaves out."""
    try:
        hints = typing.get_type_hints(fn)
    except (NameError, TypeError):
        return False
    return any(hint is RawBody for hint in hints.values())


def _structs_of(app: Litestar) -> set[type[msgspec.Struct]]:
    """Every msgspec Struct a handler takes or answers, with the structs inside them."""
    seen: set[type[msgspec.Struct]] = set()
    for _, _, handler in _operations(app):
        try:
            hints = typing.get_type_hints(_handler_function(handler), include_extras=True)
        except (NameError, TypeError):
            continue
        for hint in hints.values():
            try:
                info = msgspec.inspect.type_info(hint)
            except (TypeError, ValueError):
                continue  # a dependency (Database, Actor, Request), not a payload
            _collect_structs(info, seen)
    return seen


def _collect_structs(info: msgspec.inspect.Type, seen: set[type[msgspec.Struct]]) -> None:
    if isinstance(info, msgspec.inspect.StructType):
        if info.cls in seen:
            return
        seen.add(info.cls)
        for f in info.fields:
            _collect_structs(f.type, seen)
    for attr in ("item_type", "key_type", "value_type", "types", "item_types"):
        inner = getattr(info, attr, None)
        for each in inner if isinstance(inner, tuple) else [inner]:
            if isinstance(each, msgspec.inspect.Type):
                _collect_structs(each, seen)


def _handler_function(handler: HTTPRouteHandler) -> Callable[..., Any]:
    fn: Any = handler.fn
    # litestar.utils.sync.AsyncCallable (once per registration) and partials keep the
    # original function in `.func`.
    while isinstance(fn, functools.partial) or type(fn).__name__ == "AsyncCallable":
        fn = fn.func
    return fn


class FloorJsonRenderPlugin(JsonRenderPlugin):
    """Serves `/schema/openapi.json` as `describe_floor_api` corrects it (built once)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._document: dict[str, Any] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._document is None:
            self._document = describe_floor_api(request.app, openapi_schema)
        return super().render(request, self._document)


def key_is_documented_valid(key: str) -> bool:
    """Whether the document calls `key` a valid Idempotency-Key (for the tests)."""
    pattern = IDEMPOTENCY_KEY_SCHEMA["pattern"]
    return len(key) <= MAX_KEY_LENGTH and re.fullmatch(pattern, key) is not None
