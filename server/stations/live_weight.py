"""The live weight at each station, as its agent last reported it, held in memory.

A reading is device state, not a floor fact: it changes several times a second while a
parcel settles, and a restart loses nothing worth keeping (the agent sends the next one
within a second). So it never reaches the database: the latest report per station sits in
this module, behind a lock, and the pack page polls it.

One process: `bondfloor serve` runs a single server process (granian `workers=1`, see
server/cli.py; the site's one SQLite writer lives in it), so every request sees this
memory. Running more than one process would split the readings between them; that is not
a supported way to run the server.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

ScaleState = Literal["reading", "unplugged", "no_answer"]
WeightState = Literal["reading", "no_scale", "unplugged", "no_answer", "stale"]


GRAMS = msgspec.Meta(ge=-10_000_000, le=10_000_000)


class WeightReport(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the agent posts: a reading (`grams` given), or that the scale is gone (`state`)."""

    scale: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="Scale name")]
    state: Annotated[
        ScaleState,
        msgspec.Meta(description="reading, or unplugged / no_answer when the scale is gone"),
    ] = "reading"
    grams: (
        Annotated[int, GRAMS, msgspec.Meta(description="The weight in grams (net when `net`)")]
        | None
    ) = None
    stable: Annotated[bool, msgspec.Meta(description="The scale says it is not moving")] = False
    net: Annotated[bool, msgspec.Meta(description="Net (tare taken off), not gross")] = False
    tare_g: Annotated[int, GRAMS, msgspec.Meta(description="The tare in grams, 0: none")] = 0
    unit: Annotated[
        Literal["kg", "g", "lb"], msgspec.Meta(description="The unit the scale shows")
    ] = "kg"
    raw: Annotated[str, msgspec.Meta(max_length=64, description="The frame as read")] = ""
    read_at: Annotated[
        str, msgspec.Meta(max_length=40, description="When the agent read it (ISO 8601)")
    ] = ""


class WeightSeen(msgspec.Struct, kw_only=True):
    """The report is kept as the station's latest."""

    station: str
    state: ScaleState


class WeightView(msgspec.Struct, kw_only=True):
    """The station's weight as the pack page shows it."""

    station: str
    state: WeightState
    grams: int | None
    stable: bool
    net: bool
    tare_g: int
    unit: str
    age_ms: int | None


@dataclass(frozen=True)
class Reading:
    state: ScaleState
    scale: str
    grams: int | None
    stable: bool
    net: bool
    tare_g: int
    unit: str
    received: float  # time.monotonic() when it arrived: ages never jump with the wall clock


_lock = threading.Lock()
_latest: dict[str, Reading] = {}


def _monotonic() -> float:
    return time.monotonic()


def keep(station: str, report: WeightReport) -> Reading:
    """The station's latest report replaces the one before."""
    reading = Reading(
        state=report.state,
        scale=report.scale,
        grams=report.grams if report.state == "reading" else None,
        stable=report.stable,
        net=report.net,
        tare_g=report.tare_g,
        unit=report.unit,
        received=_monotonic(),
    )
    with _lock:
        _latest[station] = reading
    return reading


def latest(station: str) -> Reading | None:
    with _lock:
        return _latest.get(station)


def forget_all() -> None:
    """Tests start from no readings."""
    with _lock:
        _latest.clear()


def _no_weight(station: str, state: WeightState) -> WeightView:
    """No reading to show: nothing weighed, nothing stable, no unit."""
    return WeightView(
        station=station,
        state=state,
        grams=None,
        stable=False,
        net=False,
        tare_g=0,
        unit="",
        age_ms=None,
    )


def view(station: str, has_scale: bool, stale_seconds: float) -> WeightView:
    """The weight as shown: a fresh reading, or why there is none."""
    if not has_scale:
        return _no_weight(station, "no_scale")
    last = latest(station)
    if last is None:
        return _no_weight(station, "stale")
    age_ms = max(0, int((_monotonic() - last.received) * 1000))
    state: WeightState = last.state
    if age_ms > stale_seconds * 1000:
        state = "stale"
    reading = state == "reading"
    return WeightView(
        station=station,
        state=state,
        grams=last.grams if reading else None,
        stable=last.stable and reading,
        net=last.net,
        tare_g=last.tare_g,
        unit=last.unit,
        age_ms=age_ms,
    )
