"""What the dock's API takes."""

from __future__ import annotations

from typing import Annotated

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
