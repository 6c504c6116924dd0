"""Serial scanners: the framer on byte streams as scanners send them, and the driver
through real pseudo-terminals (unplugged and plugged back in)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from devices.scanners import ScanFramer, ScannedCode, SerialScanner
from tests.devices.pty_port import Pty, wait_for

GS1 = b"]C1" + b"010690123456789210LOT-7\x1d17270531"


def frames(framer: ScanFramer, *chunks: bytes, gap: float = 0.0) -> list[ScannedCode]:
    out: list[ScannedCode] = []
    now = 0.0
    for chunk in chunks:
        now += gap
        out += framer.feed(chunk, now)
    return out


@pytest.mark.parametrize(
    ("suffix", "stream"),
    [
        ("CR", b"6901234567892\r4006381333931\r"),
        ("LF", b"6901234567892\n4006381333931\n"),
        ("CRLF", b"6901234567892\r\n4006381333931\r\n"),
        ("CR", b"6901234567892\r\n4006381333931\r\n"),  # a CRLF scanner on a CR port
    ],
)
def test_each_suffix_ends_a_scan(suffix: str, stream: bytes) -> None:
    scans = frames(ScanFramer(suffix=suffix), stream)
    assert [s.text for s in scans] == ["6901234567892", "4006381333931"]


def test_aim_identifier_is_metadata_and_gs_is_kept() -> None:
    (scan,) = frames(ScanFramer(), GS1 + b"\r")
    assert scan.symbology == "]C1"
    assert scan.text == "010690123456789210LOT-7\x1d17270531"


@pytest.mark.parametrize("aim", [b"]E0", b"]d2", b"]Q1", b"]Q3", b"]C0"])
def test_every_aim_identifier(aim: bytes) -> None:
    (scan,) = frames(ScanFramer(), aim + b"ABC123\r")
    assert (scan.symbology, scan.text) == (aim.decode(), "ABC123")


def test_a_scan_split_across_reads_is_put_back_together() -> None:
    stream = GS1 + b"\r" + b"6901234567892\r"
    for cut in range(1, len(stream)):
        scans = frames(ScanFramer(), stream[:cut], stream[cut:])
        assert [s.text for s in scans] == ["010690123456789210LOT-7\x1d17270531", "6901234567892"]


def test_the_prefix_is_removed() -> None:
    (scan,) = frames(ScanFramer(prefix=b"@@"), b"@@6901234567892\r")
    assert scan.text == "6901234567892"


def test_no_suffix_ends_a_scan_after_a_quiet_gap() -> None:
    framer = ScanFramer(suffix="CR", gap_seconds=0.05)
    assert framer.feed(b"69012345", 0.00) == []
    assert framer.feed(b"67892", 0.01) == []
    assert framer.flush_if_quiet(0.03) == []
    (scan,) = framer.flush_if_quiet(0.07)
    assert scan.text == "6901234567892"


def test_line_noise_is_dropped_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "bondfloor.devices.scanners")
    stream = b"\x00\x07\xff\r" + b"\xfe\xfe\r" + b"6901234567892\r" + b"x" * 600
    scans = frames(ScanFramer(), stream)
    assert [s.text for s in scans] == ["6901234567892"]
    assert len([r for r in caplog.records if "noise" in r.getMessage()]) == 3


def test_a_serial_scanner_through_a_pty_survives_unplug_and_replug(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "bondfloor.devices.scanners")
    port = Pty(tmp_path / "ttyScanner")
    scans: list[ScannedCode] = []
    scanner = SerialScanner(
        "bench-1", str(port.link), scans.append, baud=9600, suffix="CR", retry_seconds=0.1
    )
    scanner.start()
    try:
        wait_for(lambda: scanner.state == "available")
        port.send(GS1[:7])
        time.sleep(0.12)  # a pause mid-code longer than a read
        port.send(GS1[7:] + b"\r6901234567892\r")
        wait_for(lambda: len(scans) == 2)
        assert [(s.symbology, s.text) for s in scans] == [
            ("]C1", "010690123456789210LOT-7\x1d17270531"),
            ("", "6901234567892"),
        ]
        port.unplug()
        wait_for(lambda: scanner.state == "unavailable")
        tried = scanner.tries
        wait_for(lambda: scanner.tries >= tried + 3)  # retries while it is away: one log line
        port = Pty(tmp_path / "ttyScanner")
        wait_for(lambda: scanner.state == "available")
        port.send(b"]E04006381333931\r")
        wait_for(lambda: len(scans) == 3)
        assert (scans[2].symbology, scans[2].text) == ("]E0", "4006381333931")
    finally:
        scanner.stop()
        port.unplug()
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "is unavailable, retrying" in m]) == 1
    assert len([m for m in messages if "is available" in m]) == 2


def test_a_hid_scanner_that_is_not_there_is_unavailable_and_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from devices.scanners import HidScanner

    caplog.set_level(logging.INFO, "bondfloor.devices.scanners")
    scanner = HidScanner("door-1", str(tmp_path / "event9"), lambda scan: None, retry_seconds=0.05)
    scanner.start()
    try:
        wait_for(lambda: scanner.state == "unavailable")
        tried = scanner.tries
        wait_for(lambda: scanner.tries >= tried + 3)  # several retries
    finally:
        scanner.stop()
    assert scanner.detail  # why: no evdev package, or no such device
    lost = [r for r in caplog.records if "is unavailable, retrying" in r.getMessage()]
    assert len(lost) == 1
