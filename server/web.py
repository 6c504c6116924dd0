"""Web glue shared by every slice: role guard, dependencies, the one error shape.

Every route declares who may call it with `opt=allow(...)`; a route that declares
nothing is refused to everyone (fail closed), and the role-matrix test walks every route.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import HeaderParameter
from litestar.utils.scope.state import ScopeState

from server.auth.service import authenticate
from server.commands import Actor, record_refusal
from server.config import ROLES, Settings
from server.db import Database
from server.errors import DomainError, Forbidden, Unauthenticated
from server.validation import every_problem

log = logging.getLogger("bondfloor.web")

PUBLIC = "public"
FLOOR_ROLES = frozenset(ROLES)
MANAGERS = frozenset({"supervisor", "admin"})
MAX_SQLITE_INT = 2**63 - 1
ANONYMOUS = Actor(kind="anonymous", code="-", roles=frozenset())

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="Unique key of this change; a replay returns the first result",
    ),
]


def allow(*roles: str | frozenset[str]) -> dict[str, Any]:
    """Route option naming the roles that may call it (`allow(PUBLIC)` for anyone)."""
    names: set[str] = set()
    for r in roles:
        names |= {r} if isinstance(r, str) else set(r)
    return {"roles": frozenset(names)}


def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard on every route: resolve the bearer token to an actor and check its roles."""
    allowed: frozenset[str] | None = handler.opt.get("roles")
    device = connection.headers.get("x-device", "")[:64]
    if connection.scope.get("method") == "OPTIONS":
        return  # Litestar's automatic answer: which methods a path has, nothing more
    if allowed is None:
        raise Forbidden("this route declares no roles", code="ROUTE_NOT_CLASSIFIED")
    if PUBLIC in allowed:
        connection.state.actor = ANONYMOUS
        return
    db: Database = connection.app.state.db
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("log in first", code="UNAUTHENTICATED")
    actor = authenticate(db, connection.app.state.settings.auth, token.strip(), device)
    if not actor.roles & allowed:
        err = Forbidden(
            "your role may not do this",
            code="ROLE_NOT_ALLOWED",
            details={"needs": sorted(allowed), "have": sorted(actor.roles)},
        )
        record_refusal(
            db, actor, f"{connection.scope.get('method', 'WS')} {connection.url.path}", err
        )
        raise err
    connection.state.actor = actor


class FloorRequest(Request[Any, Any, Any]):
    """Litestar's request, with every JSON decoding failure reported as malformed JSON.

    The JSON decoder raises RecursionError on very deep nesting and UnicodeDecodeError on
    invalid UTF-8 inside strings; both are bad input, not server errors.
    """

    async def json(self) -> Any:
        try:
            return await super().json()
        except (RecursionError, UnicodeDecodeError) as err:
            raise SerializationException(
                f"the JSON body cannot be read: {type(err).__name__}"
            ) from err


def provide_db(state: State) -> Database:
    db: Database = state.db
    return db


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_printing(state: State) -> Any:
    return state.printing


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    actor: Actor = request.state.actor
    return actor


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> Response[Any]:
    return Response(
        content={"error": {"code": code, "message": message, "details": details or {}}},
        status_code=status,
        media_type=MediaType.JSON,
    )


def handle_domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    response = error_response(exc.status_code, exc.code, exc.message, exc.details)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
}


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        return _validation_response(exc, _every_body_problem(request, exc))
    status = exc.status_code
    if status >= 500:
        log.error("server error: %s", exc.detail)
        return error_response(500, "INTERNAL_ERROR", "the server failed; the change was not made")
    if isinstance(exc.__cause__, SerializationException):
        return error_response(400, "MALFORMED_JSON", "the request body is not valid JSON")
    code = HTTP_CODES.get(status, "BAD_REQUEST")
    message = {
        404: "no such page or API route",
        413: "the request body is too large",
    }.get(status, exc.detail)
    return error_response(status, code, message)


def _every_body_problem(
    request: Request[Any, Any, Any], exc: ValidationException
) -> list[dict[str, str]]:
    """Every problem of a JSON body that did not fit its struct (msgspec reports the
    first only); [] when the refusal was about something else."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    if not any(isinstance(p, dict) and p.get("source") == "body" for p in extra):
        return []
    try:
        field = request.route_handler.parsed_data_field
        body = ScopeState.from_scope(request.scope).body
    except (KeyError, AttributeError):
        return []
    struct = field.annotation if field is not None else None
    if not (isinstance(struct, type) and issubclass(struct, msgspec.Struct)):
        return []
    if not isinstance(body, bytes | bytearray):
        return []
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return []
    return every_problem(struct, data)


def _validation_response(
    exc: ValidationException, every: list[dict[str, str]] | None = None
) -> Response[Any]:
    problems = every or [
        {"field": _field_name(p.get("key", "")), "message": str(p.get("message", ""))}
        for p in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(p, dict)
    ]
    text = " ".join(p["message"] for p in problems) or str(exc.detail)
    if len(problems) > 1:
        text = f"{len(problems)} problems, nothing was changed: " + "; ".join(
            f"{p['field']}: {p['message']}" for p in problems[:5]
        )
    if "unknown field" in text:
        return error_response(400, "UNKNOWN_FIELD", text, {"problems": problems})
    return error_response(
        400, "VALIDATION_FAILED", text or "the request is not valid", {"problems": problems}
    )


def _field_name(key: Any) -> str:
    return str(key).removeprefix("data.") if key else ""


def not_found_as_error_shape(response: Response[Any]) -> Response[Any]:
    """After-request hook for routers that answer a miss with a page of their own."""
    if response.status_code == 404:
        return error_response(404, "NOT_FOUND", "no such page or API route")
    return response


def handle_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "the server failed; the change was not made")
