"""Dock check-out: loading lists, the door's scans, departure and the handover record."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Literal

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from server.commands import Actor, CommandContext
from server.config import Settings
from server.declare import command, query
from server.dock import documents, service
from server.dock.schemas import (
    Departed,
    DoorProgress,
    DriverId,
    DriverName,
    HandoverRecord,
    ListProgress,
    LoadAnswer,
    LoadingListIn,
    LoadScan,
    OpenAtDoor,
    RemoveParcel,
    Seal,
)
from server.fields import Name
from server.web import MANAGERS, MAX_SQLITE_INT, allow

DOCK = allow(MANAGERS, "dock")
# The OMS fetches the handover PDF its departure event names, with the driver's ID masked.
HANDOVER_PDF_READERS = allow(MANAGERS, "dock", "oms")
TAGS = ["dock"]
ListId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


class Reason(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # Not blank is checked by the service (REASON_REQUIRED): a `\S` in the published pattern
    # reads differently in Python and in the ECMA regexes of the API's clients.
    reason: Name


class Departure(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


@command(
    post,
    "/api/v1/loading-lists",
    name="loading_list.create",
    roles=allow(MANAGERS, "dock", "oms"),
    payload=LoadingListIn,
    answer=ListProgress,
    tags=TAGS,
)
def create_list(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: LoadingListIn,
    settings: NamedDependency[Settings],
) -> ListProgress:
    """A truck's loading list (装载清单); plates and the driver's ID number are checked, and
    every problem is listed at once."""
    return service.create_list(conn, ctx, settings, data)


@query(get, "/api/v1/loading-lists", roles=DOCK, answer=list[ListProgress], tags=TAGS)
def lists(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    list_state: Annotated[
        Literal["open", "loading", "departed"] | None, QueryParameter(name="state")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> list[ListProgress]:
    """Loading lists, filtered by state (open, loading, departed)."""
    return service.list_lists(conn, settings, state=list_state, limit=limit)


@query(get, "/api/v1/loading-lists/{list_id:int}", roles=DOCK, answer=ListProgress, tags=TAGS)
def list_progress(
    conn: sqlite3.Connection, list_id: ListId, settings: NamedDependency[Settings]
) -> ListProgress:
    """Plate, driver, loaded vs planned, the missing parcels, what to pull off, the weight."""
    return service.progress(conn, settings, list_id)


@query(get, "/api/v1/dock-doors/{door:str}", roles=DOCK, answer=DoorProgress, tags=TAGS)
def door_progress(
    conn: sqlite3.Connection,
    door: Annotated[str, PathParameter(min_length=1, max_length=40)],
    settings: NamedDependency[Settings],
) -> DoorProgress:
    """What is being loaded at a door (for its screen): the list's progress, or none."""
    list_id = service.list_at_door(conn, door)
    return DoorProgress(
        door=door, list=None if list_id is None else service.progress(conn, settings, list_id)
    )


@command(
    post,
    "/api/v1/dock/open",
    name="loading_list.open",
    roles=DOCK,
    payload=OpenAtDoor,
    answer=ListProgress,
    tags=TAGS,
)
def open_at_door(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: OpenAtDoor,
    settings: NamedDependency[Settings],
) -> ListProgress:
    """The truck is at the door: its plate (or list number) opens its list there."""
    return service.open_at_door(conn, ctx, settings, data.scan, data.door, list_no=data.list_no)


# -- the check-out steps on one list ------------------------------------------------------


@command(
    post,
    "/api/v1/loading-lists/{list_id:int}/driver-id",
    name="loading_list.driver_id",
    roles=DOCK,
    payload=DriverId,
    answer=ListProgress,
    tags=TAGS,
    summary="Verify driver ID",
)
def driver_id(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    list_id: ListId,
    data: DriverId,
    settings: NamedDependency[Settings],
) -> ListProgress:
    """The driver's ID number, scanned or typed; a mismatch is refused and audited."""
    return service.verify_driver_id(conn, ctx, settings, list_id, data.driver_id)


@command(
    post,
    "/api/v1/loading-lists/{list_id:int}/driver-name",
    name="loading_list.driver_name",
    roles=DOCK,
    payload=DriverName,
    answer=ListProgress,
    tags=TAGS,
    summary="Confirm driver name",
)
def driver_name(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    list_id: ListId,
    data: DriverName,
    settings: NamedDependency[Settings],
) -> ListProgress:
    """The dock confirms the driver's name."""
    return service.confirm_driver_name(conn, ctx, settings, list_id, data.driver_name)


@command(
    post,
    "/api/v1/loading-lists/{list_id:int}/seal",
    name="loading_list.seal",
    roles=DOCK,
    payload=Seal,
    answer=ListProgress,
    tags=TAGS,
    summary="Confirm seal",
)
def seal(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    list_id: ListId,
    data: Seal,
    settings: NamedDependency[Settings],
) -> ListProgress:
    """The seal number on the truck matches the list's."""
    return service.confirm_seal(conn, ctx, settings, list_id, data.seal_no)


@command(
    post,
    "/api/v1/loading-lists/{list_id:int}/scans",
    name="loading_list.load",
    roles=DOCK,
    payload=LoadScan,
    answer=LoadAnswer,
    tags=TAGS,
    summary="Load a parcel",
)
def load(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    list_id: ListId,
    data: LoadScan,
    settings: NamedDependency[Settings],
) -> LoadAnswer:
    """A parcel's face sheet scanned onto the truck; refusals carry their own code, a second
    scan of a loaded parcel is a notice (outcome `duplicate`), never a second count."""
    return service.load_scan(conn, ctx, settings, list_id, data.scan)


@command(
    post,
    "/api/v1/loading-lists/{list_id:int}/remove-parcel",
    name="loading_list.remove_parcel",
    roles=allow(MANAGERS),
    payload=RemoveParcel,
    answer=ListProgress,
    tags=TAGS,
    summary="Remove parcel from list",
)
def remove_parcel(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    list_id: ListId,
    data: RemoveParcel,
    settings: NamedDependency[Settings],
) -> ListProgress:
    """A supervisor takes a parcel off the list, with a reason (audited)."""
    return service.remove_parcel(conn, ctx, settings, list_id, data.waybill_no, data.reason)


@command(
    post,
    "/api/v1/loading-lists/{list_id:int}/release-door",
    name="loading_list.release_door",
    roles=allow(MANAGERS),
    payload=Reason,
    answer=ListProgress,
    tags=TAGS,
    summary="Release door",
)
def release_door(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    list_id: ListId,
    data: Reason,
    settings: NamedDependency[Settings],
) -> ListProgress:
    """A supervisor frees the door of a list that is not leaving from it, with a reason."""
    return service.release_door(conn, ctx, settings, list_id, data.reason)


@command(
    post,
    "/api/v1/loading-lists/{list_id:int}/depart",
    name="loading_list.depart",
    roles=DOCK,
    payload=Departure,
    answer=Departed,
    tags=TAGS,
    summary="Depart",
)
def depart(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    list_id: ListId,
    data: Departure,
    settings: NamedDependency[Settings],
) -> Departed:
    """The truck leaves: only when the loaded set equals the list and plate, driver and seal
    are confirmed. Ships the stock and returns the handover record."""
    return service.depart(conn, ctx, settings, list_id)


@query(
    get,
    "/api/v1/loading-lists/{list_id:int}/handover",
    roles=DOCK,
    answer=HandoverRecord,
    tags=TAGS,
)
def handover(
    conn: sqlite3.Connection, list_id: ListId, settings: NamedDependency[Settings]
) -> HandoverRecord:
    """The handover record (交接单) of a departed truck."""
    return service.handover(conn, settings, list_id)


@query(
    get,
    "/api/v1/loading-lists/{list_id:int}/handover.pdf",
    roles=HANDOVER_PDF_READERS,
    answer=Response[bytes],
    tags=TAGS,
    media_type="application/pdf",
    opt={"errors": {409}},  # LIST_NOT_DEPARTED
)
def handover_pdf(
    conn: sqlite3.Connection,
    list_id: ListId,
    settings: NamedDependency[Settings],
    actor: NamedDependency[Actor],
) -> Response[bytes]:
    """The handover record (交接单) of a departed truck as an A4 PDF. The dock and
    supervisors get it whole; the OMS with the driver's ID number masked."""
    full = bool(actor.roles & DOCK["roles"])
    pdf, disposition = documents.handover_file(conn, settings, list_id, mask_driver_id=not full)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


route_handlers = [
    create_list,
    lists,
    list_progress,
    door_progress,
    open_at_door,
    driver_id,
    driver_name,
    seal,
    load,
    remove_parcel,
    release_door,
    depart,
    handover,
    handover_pdf,
]
