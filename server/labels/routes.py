"""Location labels (for whoever sets up the floor) and carton/pallet labels at receiving,
printed on a station's label printer through the print queue."""

from __future__ import annotations

import sqlite3
from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter

from server.commands import CommandContext
from server.config import Settings
from server.declare import command, query
from server.labels import service
from server.labels.schemas import (
    CartonLabelReprinted,
    CartonLabelReprintIn,
    CartonLabelsIn,
    CartonLabelsQueued,
    LabelLine,
    LabelPrinter,
    LocationLabelsIn,
    LocationLabelsQueued,
)
from server.printing.dispatch import PrintDispatcher
from server.web import MANAGERS, MAX_SQLITE_INT, allow

TAGS = ["labels"]
FLOOR_SETUP = allow(MANAGERS)  # locations are set up by supervisors and admins
RECEIVERS = allow(MANAGERS, "receiver")
PlanId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


def wake_label_printer(
    conn: sqlite3.Connection,
    queued: dict[str, object],
    printing: NamedDependency[PrintDispatcher],
) -> dict[str, object]:
    """The printer's sender looks at its queue now rather than at its next poll."""
    printing.notify(str(queued["printer"]))
    return queued


@command(
    post,
    "/api/v1/labels/locations",
    name="labels.locations",
    roles=FLOOR_SETUP,
    payload=LocationLabelsIn,
    answer=LocationLabelsQueued,
    tags=TAGS,
    then=wake_label_printer,
)
def location_labels(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: LocationLabelsIn,
    settings: NamedDependency[Settings],
) -> LocationLabelsQueued:
    """Print one label per location (a zone, a range of codes or a list) on a printer."""
    return service.print_location_labels(conn, ctx, settings, data)


@command(
    post,
    "/api/v1/plans/{plan_id:int}/carton-labels",
    name="labels.cartons",
    roles=RECEIVERS,
    payload=CartonLabelsIn,
    answer=CartonLabelsQueued,
    tags=TAGS,
    then=wake_label_printer,
)
def carton_labels(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    plan_id: PlanId,
    data: CartonLabelsIn,
    settings: NamedDependency[Settings],
) -> CartonLabelsQueued:
    """Print carton or pallet labels for a plan line, each with a new SSCC (GS1-128)."""
    return service.print_carton_labels(conn, ctx, settings, plan_id, data)


@command(
    post,
    "/api/v1/labels/cartons/reprint",
    name="labels.carton_reprint",
    roles=RECEIVERS,
    payload=CartonLabelReprintIn,
    answer=CartonLabelReprinted,
    tags=TAGS,
    then=wake_label_printer,
)
def carton_label_reprint(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: CartonLabelReprintIn,
    settings: NamedDependency[Settings],
) -> CartonLabelReprinted:
    """Print a carton or pallet label again with its own SSCC, with a reason; audited."""
    return service.reprint_carton_label(conn, ctx, settings, data)


@query(get, "/api/v1/labels/printers", roles=RECEIVERS, answer=list[LabelPrinter], tags=TAGS)
def label_printers(
    conn: sqlite3.Connection, settings: NamedDependency[Settings]
) -> list[LabelPrinter]:
    """The printers labels may be sent to, with their label size and state."""
    return service.label_printers(conn, settings)


@query(
    get,
    "/api/v1/plans/{plan_id:int}/label-lines",
    roles=RECEIVERS,
    answer=list[LabelLine],
    tags=TAGS,
)
def label_lines(conn: sqlite3.Connection, plan_id: PlanId) -> list[LabelLine]:
    """A plan's lines as the carton label form offers them, with labels printed so far."""
    return service.label_lines(conn, plan_id)


route_handlers = [
    location_labels,
    carton_labels,
    carton_label_reprint,
    label_printers,
    label_lines,
]
