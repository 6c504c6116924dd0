"""The site the printing and label tests share: a fake network printer on loopback as
`label-1` on bench `pack-01`, with a dispatcher that polls and retries fast. Import the
`printer` fixture (`from tests.printing.printer_site import printer as printer`) and build
the settings with `printer_site_settings`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.config import (
    DatabaseSettings,
    PrinterSettings,
    PrintingSettings,
    Settings,
    StationSettings,
)
from tests.printing.fake_printer import FakePrinter

FAST_PRINTING = {"poll_seconds": 0.1, "retry_min_seconds": 0.1, "retry_max_seconds": 0.3}


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    fake = FakePrinter().start()
    yield fake
    fake.stop()


def printer_site_settings(
    tmp_path: Path,
    printer: FakePrinter,
    *more_printers: PrinterSettings,
    label_options: dict[str, Any] | None = None,
    printing: dict[str, Any] | None = None,
    **extra: Any,
) -> Settings:
    """`label_options` are `label-1`'s settings beyond its address (a 0.5 s timeout unless
    given); `more_printers` follow it; `printing` overrides the fast dispatcher timings."""
    return Settings(
        database=DatabaseSettings(path=str(tmp_path / "site.db")),
        printers=[
            PrinterSettings(
                name="label-1",
                kind="network",
                host=printer.host,
                port=printer.port,
                **{"timeout_seconds": 0.5, **(label_options or {})},
            ),
            *more_printers,
        ],
        stations=[StationSettings(name="pack-01", kind="pack_bench", printers=["label-1"])],
        printing=PrintingSettings(**{**FAST_PRINTING, **(printing or {})}),
        **extra,
    )
