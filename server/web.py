"""Web glue shared by every slice: role guard, dependencies, the one error shape.

Every route declares who may call it with `opt=allow(...)`; a route that declares
nothing is refused to everyone (fail closed), and the role-matrix test walks every route.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import HeaderParameter
from litestar.routes import HTTPRoute
from litestar.utils.scope.state import ScopeState

from server import clock
from server.auth.service import actor_for_token, authenticate
from server.commands import Actor, record_refusal
from server.config import ROLES, Settings
from server.db import Database
from server.error_codes import ERR, ErrorCode
from server.errors import DomainError
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


async def guard_request(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The app's one guard: who is asking (`authorize`), then the query's shape.

    One async guard rather than two sync ones: Litestar runs a sync guard in a worker
    thread and copies the route handler for each guard, and both were a large part of a
    scan's time on the event loop.
    """
    await authorize(connection, handler)
    refuse_repeated_query(connection, handler)


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Resolve the bearer token to an actor and check its roles.

    The token's lookup (one indexed read) runs right here on the event loop's own read
    connection: cheaper than a thread hop. What may wait for the writer goes to a thread:
    noting a session's last use (about once a minute per session) and auditing a refusal.
    """
    allowed: frozenset[str] | None = handler.opt.get("roles")
    device = connection.headers.get("x-device", "")[:64]
    if connection.scope.get("method") == "OPTIONS":
        return  # Litestar's automatic answer: which methods a path has, nothing more
    if allowed is None:
        raise ERR.ROUTE_NOT_CLASSIFIED()
    if PUBLIC in allowed:
        connection.state.actor = ANONYMOUS
        return
    db: Database = connection.app.state.db
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ERR.UNAUTHENTICATED()
    token = token.strip()
    settings = connection.app.state.settings.auth
    now = clock.now()
    actor, stale = db.read(lambda conn: actor_for_token(conn, token, device, settings, now))
    if stale:
        actor = await sync_to_thread(authenticate, db, settings, token, device)
    if not actor.roles & allowed:
        err = ERR.ROLE_NOT_ALLOWED({"needs": sorted(allowed), "have": sorted(actor.roles)})
        what = f"{connection.scope.get('method', 'WS')} {connection.url.path}"
        await sync_to_thread(record_refusal, db, actor, what, err)
        raise err
    connection.state.actor = actor


def refuse_repeated_query(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: every query parameter of the API takes one value; `?a=1&a=2` is refused
    instead of one of the two being picked silently."""
    names = [name for name, _ in connection.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ERR.QUERY_PARAMETER_REPEATED({"parameters": repeated}, repeated=", ".join(repeated))


async def check_request(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Before-request hook: the OPTIONS answer, and a JSON body held to its struct strictly."""
    if request.method == "OPTIONS":
        return answer_options(request)
    await refuse_loose_body(request)
    return None


def answer_options(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """OPTIONS names every method of the path in `Allow`.

    Litestar's automatic answer keeps the methods of the first handlers registered on a
    path, so `OPTIONS /api/v1/skus` said "GET, OPTIONS" though POST is there too.
    """
    template = request.scope.get("path_template", "")
    for route in request.app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == template:
            allow_header = ", ".join(sorted(route.methods))
            return Response(content=None, status_code=204, headers={"Allow": allow_header})
    return None


_STRICT_DECODERS: dict[type, msgspec.json.Decoder[Any]] = {}
"""One strict decoder per body struct, made on its first request (a struct's decoder is
built once, not on every body)."""


async def refuse_loose_body(request: Request[Any, Any, Any]) -> None:
    """A JSON body must fit its struct as sent: `"active": "false"` or `"quantity": "5"`
    is refused, not coerced.

    Litestar converts a handler's arguments in msgspec's lax mode, which query and path
    strings need but which also turned a body's "0", "false" or 0 into a boolean.
    """
    field = request.route_handler.parsed_data_field
    struct = field.annotation if field is not None else None
    if not (isinstance(struct, type) and issubclass(struct, msgspec.Struct)):
        return
    body = await request.body()
    decoder = _STRICT_DECODERS.get(struct)
    if decoder is None:
        decoder = _STRICT_DECODERS[struct] = msgspec.json.Decoder(struct, strict=True)
    try:
        data = decoder.decode(body)
    except msgspec.ValidationError as err:
        raise ValidationException(
            str(err), extra=[{"message": str(err), "key": "", "source": "body"}]
        ) from err
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return  # malformed JSON: Litestar's own parsing refuses it with its code
    # Litestar would decode the body again, to plain values, and convert those to the
    # struct: it gets the struct checked here (msgspec's convert passes an instance of the
    # asked type through as it is).
    ScopeState.from_scope(request.scope).json = data


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


async def resolve_dependencies_in_turn(
    model: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    """Litestar's `KwargsModel.resolve_dependencies`, one dependency after the other.

    Litestar resolves the dependencies of one level (a handler's `db`, `actor` and
    `settings`) in an anyio task group, a task each: that is for providers that wait on
    I/O side by side. Ours are plain functions of the request and the app's state, and the
    task groups were the largest single cost of a scan on the event loop (about a quarter
    of it). The order within a level does not matter: none of them depends on another.
    """
    cleanup_group = DependencyCleanupGroup()
    for batch in model.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


async def authorize_without_copy(
    handler: BaseRouteHandler, connection: ASGIConnection[Any, Any, Any, Any]
) -> None:
    """Litestar's `BaseRouteHandler.authorize_connection`, without a copy of the handler.

    Litestar hands each guard a `copy()` of the route handler, in case a guard changes it:
    a copy per request was about 7 % of a scan's time on the event loop. The app's one
    guard (`guard_request`) only reads the handler's `opt`.
    """
    for guard in handler.resolve_guards():
        await guard(connection, handler)  # type: ignore[misc]


def streamline_litestar() -> None:
    """Install `resolve_dependencies_in_turn` and `authorize_without_copy` in Litestar
    (process-wide, idempotent): the same behaviour with less work per request."""
    KwargsModel.resolve_dependencies = resolve_dependencies_in_turn  # type: ignore[method-assign,assignment]
    BaseRouteHandler.authorize_connection = authorize_without_copy  # type: ignore[method-assign,assignment]


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
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return Response(
        content={"error": {"code": code, "message": message, "details": details or {}}},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def handle_domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    response = error_response(exc.status_code, exc.code, exc.message, exc.details)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def refusal_response(
    refusal: ErrorCode, details: dict[str, Any] | None = None, /, **params: Any
) -> Response[Any]:
    """The answer of a registered code the framework meets (no DomainError is raised)."""
    return error_response(
        refusal.status or 400, refusal.code, refusal.message(details, **params), details
    )


# The code of each plain HTTP refusal (the message is the framework's own, or below).
HTTP_CODES = {
    e.status: e.code
    for e in (
        ERR.BAD_REQUEST,
        ERR.UNAUTHENTICATED,
        ERR.FORBIDDEN,
        ERR.NOT_FOUND,
        ERR.METHOD_NOT_ALLOWED,
        ERR.NOT_ACCEPTABLE,
        ERR.PAYLOAD_TOO_LARGE,
        ERR.UNSUPPORTED_MEDIA_TYPE,
        ERR.TOO_MANY_REQUESTS,
    )
}


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        return _validation_response(exc, _every_body_problem(request, exc))
    status = exc.status_code
    if status >= 500:
        log.error("server error: %s", exc.detail)
        return refusal_response(ERR.INTERNAL_ERROR)
    if isinstance(exc.__cause__, SerializationException):
        return refusal_response(ERR.MALFORMED_JSON, what="request body")
    code = HTTP_CODES.get(status, ERR.BAD_REQUEST.code)
    message = {
        404: ERR.NOT_FOUND.message(),
        413: ERR.PAYLOAD_TOO_LARGE.message(),
    }.get(status, exc.detail)
    return error_response(status, code, message, headers=_answer_headers(request, exc))


# Headers an HTTP exception carries that the client needs (RFC 9110: a 405 names the
# methods the resource has in `Allow`; a 429 or 503 says when to come back).
KEPT_HEADERS = ("allow", "retry-after")


def _answer_headers(request: Request[Any, Any, Any], exc: HTTPException) -> dict[str, str]:
    carried = {k.lower(): v for k, v in (exc.headers or {}).items()}
    kept = {name: carried[name] for name in KEPT_HEADERS if name in carried}
    if exc.status_code == 405 and "allow" not in kept:
        # The static files app refuses other methods without saying which it takes.
        methods = getattr(request.scope.get("route_handler"), "http_methods", None) or {
            "GET",
            "HEAD",
        }
        kept["allow"] = ", ".join(sorted(methods))
    return kept


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
        return refusal_response(ERR.UNKNOWN_FIELD, {"problems": problems}, problem=text)
    return refusal_response(
        ERR.VALIDATION_FAILED, {"problems": problems}, problem=text or "the request is not valid"
    )


def _field_name(key: Any) -> str:
    return str(key).removeprefix("data.") if key else ""


def not_found_as_error_shape(response: Response[Any]) -> Response[Any]:
    """After-request hook for routers that answer a miss with a page of their own."""
    if response.status_code == 404:
        return refusal_response(ERR.NOT_FOUND)
    return response


def handle_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unexpected error", exc_info=exc)
    return refusal_response(ERR.INTERNAL_ERROR)
