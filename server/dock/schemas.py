"""What the dock's API takes and answers."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from server.fields import Code, text

Line = Annotated[str, text(60)]


class LoadingListIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """A truck's loading list: the truck, its driver, its seal and the parcels planned on it
    (named by waybill, or every packed parcel of a courier and/or waiting in an outbound
    lane that is not on a list yet)."""

    list_no: Code | None = None
    plate: Annotated[str, text(20, "Mainland plate, e.g. 粤B12345 or 粤BD12345")]
    second_plate: Annotated[str, text(20, "HK or Macau plate of a cross-border truck")] = ""
    driver_name: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+\Z")]
    driver_id: Annotated[str, text(30, "18-character resident ID number")]
    driver_phone: Annotated[str, text(20)]
    seal_no: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+\Z")]
    carrier: Line = ""
    waybills: Annotated[list[Annotated[str, text(60)]], Meta(max_length=20_000)] = []
    courier: Code | None = None
    lane: Code | None = None
    expected_weight_g: Annotated[int, Meta(ge=0, le=100_000_000)] | None = None


class OpenAtDoor(Struct, forbid_unknown_fields=True, kw_only=True):
    scan: Annotated[str, Meta(min_length=1, max_length=60, description="Plate or list number")]
    door: Code
    list_no: Annotated[
        str,
        Meta(
            max_length=40,
            description="The list whose plate was chosen on the handheld (its card tapped): "
            "`scan` is then that list's plate, and two lists of one truck stay apart",
        ),
    ] = ""


class DriverId(Struct, forbid_unknown_fields=True, kw_only=True):
    driver_id: Annotated[str, Meta(min_length=1, max_length=40)]


class DriverName(Struct, forbid_unknown_fields=True, kw_only=True):
    driver_name: Annotated[str, Meta(min_length=1, max_length=40)]


class Seal(Struct, forbid_unknown_fields=True, kw_only=True):
    seal_no: Annotated[str, Meta(min_length=1, max_length=40)]


class LoadScan(Struct, forbid_unknown_fields=True, kw_only=True):
    scan: Annotated[str, Meta(min_length=1, max_length=200, description="A face sheet's barcode")]


class RemoveParcel(Struct, forbid_unknown_fields=True, kw_only=True):
    waybill_no: Annotated[str, Meta(min_length=1, max_length=60)]
    reason: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z")]


# -- answers ------------------------------------------------------------------------------

ListState = Literal["open", "loading", "departed"]


class MissingParcel(Struct, kw_only=True):
    waybill_no: str
    order_no: str
    weight_g: int


class ParcelToPullOff(Struct, kw_only=True):
    """A loaded parcel that must come off the truck (held, cancelled or intercepted)."""

    waybill_no: str
    order_no: str
    code: str


class RemovedParcel(Struct, kw_only=True):
    waybill_no: str
    removed_reason: str | None
    removed_by: str | None
    removed_at: str | None


class LoadWeight(Struct, kw_only=True):
    expected_g: int
    loaded_g: int
    planned_g: int
    off_by_percent: float
    tolerance_percent: float
    warning: bool


class DepartureBlocker(Struct, kw_only=True, omit_defaults=True):
    """Why a list cannot depart yet; the parcels named where that is the reason."""

    code: str
    count: int | None = None
    waybills: list[str] | None = None


class ListProgress(Struct, kw_only=True):
    """A loading list as the door and its screen see it (the driver's ID and phone masked)."""

    id: int
    list_no: str
    state: ListState
    door: str | None
    plate: str
    second_plate: str
    driver_name: str
    driver_id: str
    driver_phone: str
    seal_no: str
    carrier: str
    plate_confirmed: bool
    driver_id_verified: bool
    driver_name_confirmed: bool
    seal_confirmed: bool
    planned: int
    loaded: int
    missing_count: int
    missing: list[MissingParcel]
    to_pull_off: list[ParcelToPullOff]
    removed: list[RemovedParcel]
    weight: LoadWeight
    can_depart: bool
    blockers: list[DepartureBlocker]
    departed_at: str | None
    handover_no: str | None


class ListCounts(Struct, kw_only=True):
    """The counts a load scan changes, from aggregates."""

    id: int
    list_no: str
    state: ListState
    planned: int
    loaded: int
    missing_count: int
    to_pull_off_count: int
    loaded_g: int
    expected_g: int
    can_depart: bool


class LoadAnswer(Struct, kw_only=True, omit_defaults=True):
    """A load scan's outcome; a second scan of a loaded parcel is a notice, not a count."""

    outcome: Literal["loaded", "duplicate"]
    notice: str = ""  # ALREADY_LOADED with outcome `duplicate`, else left out
    message: str
    waybill_no: str
    summary: ListCounts


class DoorProgress(Struct, kw_only=True):
    door: str
    list: ListProgress | None


class Site(Struct, kw_only=True):
    code: str
    name: str


class HandedOverParcel(Struct, kw_only=True):
    waybill_no: str
    order_no: str
    courier: str
    weight_g: int
    parcel_count: int
    loaded_at: str | None
    loaded_by: str | None


class HandoverRecord(Struct, kw_only=True):
    """The handover record (交接单) of a departed truck: exactly the parcels loaded."""

    site: Site
    handover_no: str | None
    list_no: str
    plate: str
    second_plate: str
    driver_name: str
    driver_id: str
    driver_phone: str
    seal_no: str
    carrier: str
    door: str | None
    departed_at: str
    departed_local: str
    departed_by: str | None
    parcels: list[HandedOverParcel]
    parcel_count: int
    loaded_weight_g: int
    expected_weight_g: int


class QueuedSlip(Struct, kw_only=True):
    id: int
    printer: str
    status: Literal["queued"]


class Departed(HandoverRecord, kw_only=True):
    """The handover record, and the driver's copy queued on the door's printer (or none)."""

    print_job: QueuedSlip | None
