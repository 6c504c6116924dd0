"""Dock check-out: loading lists, the door's scans, departure and the handover record."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.commands import Actor, CommandContext, run_command
from server.config import Settings
from server.db import Database
from server.dock import service
from server.dock.schemas import (
    DriverId,
    DriverName,
    LoadingListIn,
    LoadScan,
    OpenAtDoor,
    RemoveParcel,
    Seal,
)
from server.fields import Name
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

DOCK = allow(MANAGERS, "dock")
ListId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


def _command(
    db: Database, actor: Actor, name: str, key: str | None, payload: Any, rules: Any
) -> Any:
    return run_command(db, actor, name, key, payload, rules).value


@post(
    "/api/v1/loading-lists",
    opt=allow(MANAGERS, "dock", "oms"),
    sync_to_thread=True,
    status_code=200,
    tags=["dock"],
)
def create_list(
    data: JSONBody[LoadingListIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A truck's loading list (装载清单); plates and the driver's ID number are checked, and
    every problem is listed at once."""
    return _command(
        db,
        actor,
        "loading_list.create",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.create_list(conn, ctx, settings, data),
    )


@get("/api/v1/loading-lists", opt=DOCK, sync_to_thread=True, tags=["dock"])
def lists(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    list_state: Annotated[
        Literal["open", "loading", "departed"] | None, QueryParameter(name="state")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """Loading lists, filtered by state (open, loading, departed)."""
    return db.read(lambda conn: service.list_lists(conn, settings, state=list_state, limit=limit))


@get("/api/v1/loading-lists/{list_id:int}", opt=DOCK, sync_to_thread=True, tags=["dock"])
def list_progress(
    list_id: ListId, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> dict[str, Any]:
    """Plate, driver, loaded vs planned, the missing parcels, what to pull off, the weight."""
    return db.read(lambda conn: service.progress(conn, settings, list_id))


@get("/api/v1/dock-doors/{door:str}", opt=DOCK, sync_to_thread=True, tags=["dock"])
def door_progress(
    door: Annotated[str, PathParameter(min_length=1, max_length=40)],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
) -> dict[str, Any]:
    """What is being loaded at a door (for its screen): the list's progress, or none."""

    def read(conn: Any) -> dict[str, Any]:
        list_id = service.list_at_door(conn, door)
        return {
            "door": door,
            "list": None if list_id is None else service.progress(conn, settings, list_id),
        }

    return db.read(read)


@post("/api/v1/dock/open", opt=DOCK, sync_to_thread=True, status_code=200, tags=["dock"])
def open_at_door(
    data: JSONBody[OpenAtDoor],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The truck is at the door: its plate (or list number) opens its list there."""
    return _command(
        db,
        actor,
        "loading_list.open",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.open_at_door(
            conn, ctx, settings, data.scan, data.door, list_no=data.list_no
        ),
    )


def _step(
    name: str, path: str, body: type, apply: Any, summary: str, doc: str, roles: Any = DOCK
) -> Any:
    """One check-out step on a list: the same shape for driver, name, seal, scans.

    Each step's function is named after its command, so the OpenAPI document's summary
    and operationId say which step it is (not "Handler" for all seven).
    """

    def handler(
        list_id: ListId,
        data: Any,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        def rules(conn: Any, ctx: CommandContext) -> Any:
            return apply(conn, ctx, settings, list_id, data)

        return _command(
            db,
            actor,
            name,
            idempotency_key,
            {"list": list_id, **msgspec.to_builtins(data)},
            rules,
        )

    handler.__doc__ = doc
    handler.__name__ = handler.__qualname__ = name.removeprefix("loading_list.")
    # The body type differs per step: set it on the function Litestar reads it from.
    handler.__annotations__ = {**handler.__annotations__, "data": JSONBody[body]}  # type: ignore[misc,valid-type]
    return post(
        path,
        opt=roles,
        sync_to_thread=True,
        status_code=200,
        tags=["dock"],
        name=name,
        summary=summary,
    )(handler)


verify_driver = _step(
    "loading_list.driver_id",
    "/api/v1/loading-lists/{list_id:int}/driver-id",
    DriverId,
    lambda c, x, s, i, d: service.verify_driver_id(c, x, s, i, d.driver_id),
    "Verify driver ID",
    "The driver's ID number, scanned or typed; a mismatch is refused and audited.",
)
confirm_name = _step(
    "loading_list.driver_name",
    "/api/v1/loading-lists/{list_id:int}/driver-name",
    DriverName,
    lambda c, x, s, i, d: service.confirm_driver_name(c, x, s, i, d.driver_name),
    "Confirm driver name",
    "The dock confirms the driver's name.",
)
confirm_seal = _step(
    "loading_list.seal",
    "/api/v1/loading-lists/{list_id:int}/seal",
    Seal,
    lambda c, x, s, i, d: service.confirm_seal(c, x, s, i, d.seal_no),
    "Confirm seal",
    "The seal number on the truck matches the list's.",
)
load_scan = _step(
    "loading_list.load",
    "/api/v1/loading-lists/{list_id:int}/scans",
    LoadScan,
    lambda c, x, s, i, d: service.load_scan(c, x, s, i, d.scan),
    "Load a parcel",
    "A parcel's face sheet scanned onto the truck; refusals carry their own code, a second "
    "scan of a loaded parcel is a notice (outcome `duplicate`), never a second count.",
)
remove_parcel = _step(
    "loading_list.remove_parcel",
    "/api/v1/loading-lists/{list_id:int}/remove-parcel",
    RemoveParcel,
    lambda c, x, s, i, d: service.remove_parcel(c, x, s, i, d.waybill_no, d.reason),
    "Remove parcel from list",
    "A supervisor takes a parcel off the list, with a reason (audited).",
    roles=allow(MANAGERS),
)


class Reason(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # Not blank is checked by the service (REASON_REQUIRED): a `\S` in the published pattern
    # reads differently in Python and in the ECMA regexes of the API's clients.
    reason: Name


release_door = _step(
    "loading_list.release_door",
    "/api/v1/loading-lists/{list_id:int}/release-door",
    Reason,
    lambda c, x, s, i, d: service.release_door(c, x, s, i, d.reason),
    "Release door",
    "A supervisor frees the door of a list that is not leaving from it, with a reason.",
    roles=allow(MANAGERS),
)


class Departure(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


depart = _step(
    "loading_list.depart",
    "/api/v1/loading-lists/{list_id:int}/depart",
    Departure,
    lambda c, x, s, i, d: service.depart(c, x, s, i),
    "Depart",
    "The truck leaves: only when the loaded set equals the list and plate, driver and seal "
    "are confirmed. Ships the stock and returns the handover record.",
)


@get("/api/v1/loading-lists/{list_id:int}/handover", opt=DOCK, sync_to_thread=True, tags=["dock"])
def handover(
    list_id: ListId, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> dict[str, Any]:
    """The handover record (交接单) of a departed truck."""
    return db.read(lambda conn: service.handover(conn, settings, list_id))


route_handlers = [
    create_list,
    lists,
    list_progress,
    door_progress,
    open_at_door,
    verify_driver,
    confirm_name,
    confirm_seal,
    load_scan,
    remove_parcel,
    release_door,
    depart,
    handover,
]
