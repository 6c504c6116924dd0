"""Declared routes: a route says what it is, and the plumbing is written here once.

A change is declared with `@command`: its command name, who may call it, the body it takes
and the answer it gives. The declared function holds the command's rules and receives the
write connection and the command's context; the Idempotency-Key, the request fingerprint,
the actor, the worker thread, the tags, the summary and the description are the
declaration's job.

    @command(post, "/api/v1/plans/{plan_id:int}/close", name="plan.close",
             roles=RECEIVERS, payload=CloseReceipt, answer=ReceiptDocument, tags=["inbound"])
    def close(conn, ctx, plan_id: PlanId, data: CloseReceipt) -> ReceiptDocument:
        "Close the receipt: every difference needs its reason."
        return service.close_receipt(conn, ctx, plan_id, data)

A read is declared with `@query` and gets a read-only connection (one snapshot). A route
whose only writes are the server's own bookkeeping (a login, an agent's heartbeat) is
declared with `@bookkeeping` and gets `books`: reads and the named writes of
server/system_writes.py. No declared route ever holds the database, so none can write
around a command.

The function's other parameters are the route's, as Litestar reads them: path and query
parameters, `data` (the body, of the declared `payload`), a raw `body`, and named
dependencies (`settings: NamedDependency[Settings]`). The request part of them - path and
query values and the body - is the command's fingerprint: a replay with the same key must
send the same request.
"""

from __future__ import annotations

import contextlib
import inspect
import sqlite3
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from server.chunked import floor_first, run_chunked_command
from server.commands import Actor, CommandContext, finished_command, run_command
from server.db import Database
from server.imports import body_digest
from server.system_writes import Books
from server.web import IdempotencyKey

F = TypeVar("F", bound=Callable[..., Any])
RouteDecorator = Callable[..., Callable[[Callable[..., Any]], HTTPRouteHandler]]
Secrets = Iterable[str] | Mapping[str, Callable[[Any], Any]]
"""Body fields kept out of the stored fingerprint: named (left out), or named with the
function that gives a safe stand-in (a badge's masked form)."""

PLUMBING: dict[str, Any] = {
    "db": NamedDependency[Database],
    "actor": NamedDependency[Actor],
    "idempotency_key": IdempotencyKey,
}
"""What a declared command's handler takes besides the route's own parameters."""


def command(
    route: RouteDecorator,
    path: str,
    *,
    name: str,
    roles: dict[str, Any],
    answer: Any,
    tags: list[str],
    payload: type[msgspec.Struct] | None = None,
    secrets: Secrets = (),
    prepare: Callable[..., Any] | None = None,
    chunked: bool = False,
    fingerprint: Callable[..., dict[str, Any]] | None = None,
    then: Callable[..., Any] | None = None,
    summary: str | None = None,
    opt: dict[str, Any] | None = None,
    status_code: int = 200,
    shown_once: tuple[str, ...] = (),
) -> Callable[[F], HTTPRouteHandler]:
    """Declare a command route; the decorated function is the command's rules.

    `name` may name path parameters (`"import.{kind}"`). `prepare(conn, ...)`, when given,
    reads the request outside the write transaction on a read-only connection (parsing an
    import file must not hold the site's one writer); its result reaches the rules as
    their `prepared` parameter. `status_code` is the success status (201 where a route
    creates). `shown_once` names answer fields (a new token, a generated PIN) that only the
    first caller sees: they are never stored, so a replay answers without them.
    `then(conn, result, ...)`, when given, runs once the
    command has committed (or replayed), on a read-only connection, and gives the answer.

    `chunked=True` declares a bulk command: the function takes no connection or context
    and returns a `server.chunked.ChunkedJob`, run in short transactions under the one key.
    `fingerprint(**request values)`, when given, is the request as the fingerprint holds
    it, instead of the values themselves (to keep the fingerprint older releases stored).
    """

    def declare(rules: F) -> HTTPRouteHandler:
        rules_params = _route_parameters(rules, skip=0 if chunked else 2)
        prepare_params = _route_parameters(prepare, skip=1) if prepare is not None else {}
        takes_prepared = rules_params.pop("prepared", None) is not None
        if takes_prepared != (prepare is not None):
            raise TypeError(
                f"{rules.__qualname__} takes `prepared` exactly when `prepare=` is declared"
            )
        then_params = _route_parameters(then, skip=2) if then is not None else {}
        params = {**prepare_params, **then_params, **rules_params}
        if payload is not None:
            _check_body(rules, params, payload)
            params["data"] = params["data"].replace(annotation=JSONBody[payload])  # type: ignore[misc,valid-type]
        request_names = [n for n, p in params.items() if not _is_dependency(p.annotation)]
        keep_out = _secret_stand_ins(secrets)

        def handler(**kwargs: Any) -> Any:
            db: Database = kwargs.pop("db")
            actor: Actor = kwargs.pop("actor")
            key: str | None = kwargs.pop("idempotency_key")
            request = {n: kwargs[n] for n in request_names}
            stored = request_fingerprint_payload(
                fingerprint(**request) if fingerprint is not None else request, keep_out
            )
            command_name = name.format(**kwargs) if "{" in name else name
            # A replay of a finished command answers what it stored, without preparing
            # again (a close computes every statement, an import parses its file).
            replay = (
                finished_command(db, actor, command_name, key, stored)
                if prepare is not None
                else None
            )
            if replay is not None:
                return replay.value if chunked else answer_of(db, replay.value, kwargs)
            with floor_first() if chunked else contextlib.nullcontext():
                prepared = (
                    db.read(lambda conn: prepare(conn, **_pick(kwargs, prepare_params)))
                    if prepare is not None
                    else None
                )
            chosen = _pick(kwargs, rules_params)
            if takes_prepared:
                chosen["prepared"] = prepared

            if chunked:
                job = rules(**chosen)
                return run_chunked_command(db, actor, command_name, key, stored, job).value
            once: dict[str, Any] = {}

            def run(conn: sqlite3.Connection, ctx: CommandContext) -> Any:
                answer = rules(conn, ctx, **chosen)
                return _set_aside(answer, shown_once, once) if shown_once else answer

            outcome = run_command(db, actor, command_name, key, stored, run)
            result = {**outcome.value, **once} if once and not outcome.replayed else outcome.value
            return answer_of(db, result, kwargs)

        def answer_of(db: Database, result: Any, kwargs: dict[str, Any]) -> Any:
            if then is None:
                return result
            return db.read(lambda conn: then(conn, result, **_pick(kwargs, then_params)))

        _dress(handler, rules, {**params, **_plumbing_parameters()}, answer)
        return route(
            path,
            opt={**roles, **(opt or {})},
            sync_to_thread=True,
            status_code=status_code,
            tags=tags,
            summary=summary,
        )(handler)

    return declare


def _set_aside(answer: Any, fields: tuple[str, ...], once: dict[str, Any]) -> dict[str, Any]:
    """The answer as stored for replays, without `fields`; they go to `once`, for the first
    caller only (a stored token or PIN would be readable by anyone who reads the database)."""
    stored: dict[str, Any] = msgspec.to_builtins(answer)
    for field in fields:
        if field in stored:
            once[field] = stored.pop(field)
    return stored


def query(
    route: RouteDecorator,
    path: str,
    *,
    roles: dict[str, Any],
    answer: Any,
    tags: list[str],
    summary: str | None = None,
    opt: dict[str, Any] | None = None,
    media_type: str | None = None,
    paged: bool = False,
) -> Callable[[F], HTTPRouteHandler]:
    """Declare a read route; the decorated function gets a read-only connection first.

    A read that answers a file (a PNG, a CSV) returns a litestar `Response` and declares
    its `media_type` for the OpenAPI document. `paged=True` declares a read streamed page
    by page (a whole history as CSV): the function gets `read` instead of a connection, a
    function that runs one page's read on a read-only connection (its own snapshot), so a
    long download holds no reader between pages.
    """

    def declare(read: F) -> HTTPRouteHandler:
        params = _route_parameters(read, skip=1)

        def handler(**kwargs: Any) -> Any:
            db: Database = kwargs.pop("db")
            if paged:
                return read(db.read, **kwargs)
            return db.read(lambda conn: read(conn, **kwargs))

        _dress(handler, read, {**params, "db": _db_parameter()}, answer)
        return route(
            path,
            opt={**roles, **(opt or {})},
            sync_to_thread=True,
            status_code=200,  # a read sent as a POST (a check that changes nothing) too
            tags=tags,
            summary=summary,
            **({"media_type": media_type} if media_type else {}),
        )(handler)

    return declare


def bookkeeping(
    route: RouteDecorator,
    path: str,
    *,
    roles: dict[str, Any],
    answer: Any,
    tags: list[str],
    payload: type[msgspec.Struct] | None = None,
    summary: str | None = None,
    opt: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Callable[[F], HTTPRouteHandler]:
    """Declare a route whose only writes are the server's own bookkeeping: a login, a
    logout, a station agent's heartbeat, print-job claim and report (each write in
    server/system_writes.py says why it is not a command). The decorated function gets
    `books` first (`server.system_writes.Books`): reads, and those named writes; never the
    database. `status_code` is the success status (201 for a login: a session is made).
    """

    def declare(keeps: F) -> HTTPRouteHandler:
        params = _route_parameters(keeps, skip=1)
        if payload is not None:
            _check_body(keeps, params, payload)
            params["data"] = params["data"].replace(annotation=JSONBody[payload])  # type: ignore[misc,valid-type]

        def handler(**kwargs: Any) -> Any:
            db: Database = kwargs.pop("db")
            return keeps(Books(db), **kwargs)

        _dress(handler, keeps, {**params, "db": _db_parameter()}, answer)
        return route(
            path,
            opt={**roles, **(opt or {})},
            sync_to_thread=True,
            status_code=status_code,
            tags=tags,
            summary=summary,
        )(handler)

    return declare


def _db_parameter() -> inspect.Parameter:
    return inspect.Parameter(
        "db", inspect.Parameter.KEYWORD_ONLY, annotation=NamedDependency[Database]
    )


def request_fingerprint_payload(
    values: dict[str, Any], keep_out: Mapping[str, Callable[[Any], Any] | None]
) -> dict[str, Any]:
    """The request as the command's fingerprint holds it: the body's fields, each path and
    query value, and a raw body by its digest; secrets left out or masked.

    A path parameter `plan_id` enters as `plan`, the name the fingerprints stored before
    routes were declared use, so a key sent before an upgrade still replays after it.
    """
    payload: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, msgspec.Struct):
            payload.update(msgspec.to_builtins(value))
        elif isinstance(value, bytes):
            payload[name] = body_digest(value)
        elif not isinstance(value, Request):
            payload[name.removesuffix("_id")] = msgspec.to_builtins(value)
    for field, stand_in in keep_out.items():
        if field in payload:
            if stand_in is None:
                del payload[field]
            else:
                payload[field] = stand_in(payload[field])
    return payload


def _secret_stand_ins(secrets: Secrets) -> dict[str, Callable[[Any], Any] | None]:
    if isinstance(secrets, Mapping):
        return dict(secrets)
    return dict.fromkeys(secrets)


def _route_parameters(fn: Callable[..., Any], *, skip: int) -> dict[str, inspect.Parameter]:
    """The function's parameters after the first `skip` (connection, context), with their
    annotations resolved in the function's own module, as keyword-only parameters."""
    hints = typing.get_type_hints(fn, include_extras=True)
    found = {}
    for param in list(inspect.signature(fn).parameters.values())[skip:]:
        found[param.name] = param.replace(
            kind=inspect.Parameter.KEYWORD_ONLY,
            annotation=hints.get(param.name, inspect.Parameter.empty),
        )
    return found


def _plumbing_parameters() -> dict[str, inspect.Parameter]:
    return {
        name: inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=annotation,
            default=None if name == "idempotency_key" else inspect.Parameter.empty,
        )
        for name, annotation in PLUMBING.items()
    }


def _check_body(fn: Callable[..., Any], params: dict[str, inspect.Parameter], body: type) -> None:
    """The declared payload is the function's `data`: a declaration that drifted from its
    function fails at import, not on the floor."""
    data = params.get("data")
    if data is None or data.annotation is not body:
        raise TypeError(f"{fn.__qualname__} must take `data: {body.__name__}` (its payload)")


def _is_dependency(annotation: Any) -> bool:
    metadata = getattr(annotation, "__metadata__", ())
    return any(type(m).__name__ == "Dependency" for m in metadata)


def _pick(values: dict[str, Any], names: Mapping[str, Any]) -> dict[str, Any]:
    return {n: values[n] for n in names if n in values}


def _dress(
    handler: Callable[..., Any],
    declared: Callable[..., Any],
    params: dict[str, inspect.Parameter],
    answer: Any,
) -> None:
    """Give the handler the declared function's name, docstring and module (the OpenAPI
    summary, description and operationId come from them) and the route's signature."""
    handler.__name__ = handler.__qualname__ = declared.__name__
    handler.__doc__ = declared.__doc__
    handler.__module__ = declared.__module__
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        list(params.values()), return_annotation=answer
    )
    handler.__annotations__ = {
        **{n: p.annotation for n, p in params.items()},
        "return": answer,
    }
