"""The printer drivers against real things: a TCP printer on loopback, a pseudo-terminal
for a serial printer, a folder for the file printer."""

from __future__ import annotations

import os
import pty
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.printers import (
    FilePrinter,
    NetworkPrinter,
    PrinterUnavailable,
    SerialPrinter,
    UsbPrinter,
    parse_status,
)
from tests.printing.fake_printer import FakePrinter

JOB = b"\x1b@" + bytes(range(256)) * 40 + b"\x1dV\x00"  # about 10 kB, every byte value


@pytest.fixture
def fake() -> Iterator[FakePrinter]:
    printer = FakePrinter().start()
    yield printer
    printer.stop()


def network(fake: FakePrinter, **kw: object) -> NetworkPrinter:
    return NetworkPrinter("net-1", fake.host, fake.port, timeout=0.5, **kw)  # type: ignore[arg-type]


def test_a_network_job_counts_once_the_printer_answers_after_it(fake: FakePrinter) -> None:
    network(fake).print_job(JOB, job_id=1)
    assert fake.wait_for_jobs(1) == [JOB]
    assert network(fake).status().state == "online"


@pytest.mark.parametrize(("mode", "state"), [("paper_out", "paper_out"), ("stall", "unavailable")])
def test_a_printer_that_cannot_print_keeps_the_job(
    fake: FakePrinter, mode: str, state: str
) -> None:
    fake.mode = mode
    assert network(fake).status().state == state
    with pytest.raises(PrinterUnavailable):
        network(fake).print_job(JOB, job_id=1)
    assert fake.received() == []


def test_a_connection_dropped_mid_job_is_not_a_printed_job(fake: FakePrinter) -> None:
    fake.mode = "drop"
    with pytest.raises(PrinterUnavailable):
        network(fake).print_job(JOB, job_id=1)
    assert fake.received() == []


def test_a_printer_switched_off_is_unavailable(fake: FakePrinter) -> None:
    fake.stop()
    printer = network(fake)
    with pytest.raises(PrinterUnavailable) as caught:
        printer.print_job(JOB, job_id=1)
    assert "refused" in str(caught.value).lower()
    # A status check meets the outage the job met: one outage, one state.
    assert printer.status().state == caught.value.state == "unavailable"


def test_a_printer_without_status_gets_the_job_and_a_clean_close(fake: FakePrinter) -> None:
    network(fake, answers_status=False).print_job(JOB, job_id=7)
    assert fake.wait_for_jobs(1) == [JOB]


def test_a_printer_without_status_is_never_asked_for_it(fake: FakePrinter) -> None:
    fake.mode = "silent"  # it would never answer: asking would wait the whole timeout
    printer = NetworkPrinter("net-1", fake.host, fake.port, timeout=5.0, answers_status=False)
    assert printer.status().state == "online"  # it takes a connection, that is all we ask
    printer.print_job(JOB, job_id=7)
    assert fake.wait_for_jobs(1) == [JOB]
    assert fake.wait_until_quiet()
    assert fake.queries == 0


def test_a_job_keeps_what_the_printer_answered_after_it(fake: FakePrinter) -> None:
    fake.mode = "near_end"
    printer = network(fake)
    printer.print_job(JOB, job_id=1)
    assert printer.last_answer == parse_status(bytes([0x12, 0x12, 0x1E]))
    assert printer.last_answer.detail == "paper near its end"


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        (bytes([0x12, 0x12, 0x12]), "online"),
        (bytes([0x12, 0x12, 0x1E]), "online"),  # near end: still prints
        (bytes([0x12, 0x32, 0x72]), "paper_out"),
        (bytes([0x12, 0x16, 0x12]), "cover_open"),
        (bytes([0x1A, 0x12, 0x12]), "offline"),
        (b"", "unknown"),
    ],
)
def test_dle_eot_answers_are_read(answer: bytes, state: str) -> None:
    assert parse_status(answer).state == state


def test_a_serial_printer_writes_through_a_pseudo_terminal() -> None:
    controller, device = pty.openpty()
    received = bytearray()

    def read_all() -> None:
        while len(received) < len(JOB):
            try:
                received.extend(os.read(controller, 65536))
            except OSError:
                return

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    try:
        SerialPrinter("ser-1", os.ttyname(device), 115200).print_job(JOB, job_id=1)
        reader.join(timeout=5)
        assert bytes(received) == JOB
    finally:
        os.close(device)
        os.close(controller)


def test_an_unplugged_serial_printer_is_unavailable(tmp_path: Path) -> None:
    printer = SerialPrinter("ser-1", str(tmp_path / "ttyUSB9"))
    with pytest.raises(PrinterUnavailable) as caught:
        printer.print_job(JOB, job_id=1)
    assert printer.status().state == caught.value.state == "unavailable"


def test_the_file_printer_writes_the_job_and_its_preview(tmp_path: Path) -> None:
    FilePrinter("file-1", tmp_path / "out").print_job(JOB, job_id=12, preview_png=b"\x89PNG")
    assert (tmp_path / "out" / "job-000012.bin").read_bytes() == JOB
    assert (tmp_path / "out" / "job-000012.png").read_bytes() == b"\x89PNG"
    assert not list((tmp_path / "out").glob("*.part"))


def test_a_file_printer_on_a_file_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    with pytest.raises(PrinterUnavailable):
        FilePrinter("file-1", blocker).print_job(JOB, job_id=1)


def test_a_usb_printer_that_is_not_plugged_in_is_unavailable() -> None:
    # No USB device node exists on this machine: the driver must say so, not crash.
    printer = UsbPrinter("usb-1", 0x0416, 0x5011)
    with pytest.raises(PrinterUnavailable) as caught:
        printer.print_job(JOB, job_id=1)
    assert "0416:5011" in str(caught.value)
