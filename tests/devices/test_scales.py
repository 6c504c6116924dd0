"""Scales: each protocol's frames as scales send them, and the reader through real
pseudo-terminals speaking each protocol (stable and not, units, net, garbage, silence,
unplug and replug)."""

from __future__ import annotations

import itertools
import logging
import os
import select
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from devices.scales import (
    Garbled,
    LineFramer,
    ScaleReader,
    ToledoFramer,
    XkFramer,
    parse_line,
    parse_toledo,
    parse_xk3190,
    to_grams,
)
from tests.devices.pty_port import Pty, wait_for

# -- units and rounding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "grams"),
    [
        ("1.234", "kg", 1234),
        ("1.2345", "kg", 1235),  # half away from zero
        ("-1.2345", "kg", -1235),
        ("0.0004", "kg", 0),
        ("850", "g", 850),
        ("850.5", "g", 851),
        ("1", "lb", 454),  # 453.59237 g
        ("2.20", "lb", 998),
        ("0.000", "kg", 0),
    ],
)
def test_weights_become_whole_grams_rounded_half_away_from_zero(
    value: str, unit: str, grams: int
) -> None:
    assert to_grams(Decimal(value), unit) == grams


def test_an_ounce_is_not_a_unit_we_guess() -> None:
    with pytest.raises(Garbled):
        to_grams(Decimal(1), "oz")


# -- continuous lines ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "grams", "stable", "net", "unit"),
    [
        (b"ST,GS,+  1.234kg", 1234, True, False, "kg"),
        (b"US,GS,+  1.198kg", 1198, False, False, "kg"),
        (b"ST,NT,+  0.800kg", 800, True, True, "kg"),
        (b"US,NT,-  0.050kg", -50, False, True, "kg"),
        (b"ST,GS,   0.400kg", 400, True, False, "kg"),  # no sign: a space
        (b"ST,GS 1.000KG", 1000, True, False, "kg"),  # no comma after GS, upper case
        (b"ST,GS,+    850g", 850, True, False, "g"),
        (b"ST,GS,+  2.50 lb", 1134, True, False, "lb"),
    ],
)
def test_a_continuous_line_reads_stability_mode_sign_and_unit(
    line: bytes, grams: int, stable: bool, net: bool, unit: str
) -> None:
    reading = parse_line(line)
    assert (reading.grams, reading.stable, reading.net, reading.unit) == (grams, stable, net, unit)


def test_an_overloaded_continuous_scale_gives_no_weight() -> None:
    reading = parse_line(b"OL,GS,+  ------kg")
    assert (reading.grams, reading.stable, reading.over_capacity) == (None, False, True)


def test_continuous_lines_split_across_reads_and_garbage_between_them() -> None:
    framer = LineFramer()
    stream = (
        b"ST,GS,+  1.234kg\r\n"
        b"\x00\xff\x13garbage\r\n"
        b"XX,GS,+  1.234kg\r\n"
        b"ST,GS,+  1.2.3kg\r\n"
        b"ST,GS,+  1.234oz\r\n"
        b"US,NT,+  0.300kg\r\n"
    )
    readings = []
    for cut in range(0, len(stream), 5):
        readings += framer.feed(stream[cut : cut + 5])
    assert [(r.grams, r.stable, r.net) for r in readings] == [
        (1234, True, False),
        (300, False, True),
    ]
    assert framer.garbled == 4


def test_a_line_that_never_ends_is_dropped_as_garbage() -> None:
    framer = LineFramer()
    assert framer.feed(b"x" * 100) == []
    assert framer.garbled == 1
    assert [r.grams for r in framer.feed(b"ST,GS,+  0.010kg\n")] == [10]


# -- toledo8217 ----------------------------------------------------------------------------


def status(*, motion: bool = False, over: bool = False, under: bool = False) -> bytes:
    return bytes([0x60 | motion * 0x01 | over * 0x02 | under * 0x04])


def test_a_toledo_weight_answer_is_stable_gross_in_the_scales_unit() -> None:
    reading = parse_toledo(b"  1.234", unit="kg")
    assert (reading.grams, reading.stable, reading.net) == (1234, True, False)
    assert parse_toledo(b"002.50", unit="lb").grams == 1134
    assert parse_toledo(b"  0.800N").net is True
    assert parse_toledo(b" 12.34LB", unit="kg").grams == 5597  # an imitation naming its unit


def test_a_toledo_status_answer_says_motion_and_range_but_no_weight() -> None:
    moving = parse_toledo(b"?" + status(motion=True))
    assert (moving.grams, moving.stable, moving.over_capacity) == (None, False, False)
    over = parse_toledo(b"?" + status(over=True))
    assert (over.over_capacity, over.under_zero) == (True, False)
    assert parse_toledo(b"?" + status(under=True)).under_zero is True
    parity_set = parse_toledo(b"?" + bytes([status(motion=True)[0] | 0x80]))
    assert parity_set.stable is False


@pytest.mark.parametrize("frame", [b"?", b"?\x01", b"1,234", b"abc", b"\xff\xfe", b"?AB"])
def test_a_toledo_frame_that_is_not_an_answer_is_garbled(frame: bytes) -> None:
    with pytest.raises(Garbled):
        parse_toledo(frame)


def test_toledo_answers_out_of_the_stream_skip_and_count_garbage() -> None:
    framer = ToledoFramer()
    readings = framer.feed(b"\x02  1.234\r\n\x03noise\x02?" + status(motion=True) + b"\r")
    readings += framer.feed(b"\x02 1,2\r\x02  0.5")
    readings += framer.feed(b"00\r")
    assert [(r.grams, r.stable) for r in readings] == [(1234, True), (None, False), (500, True)]
    assert framer.garbled == 2


# -- xk3190 --------------------------------------------------------------------------------


def test_an_xk3190_frame_is_read_lowest_digit_first() -> None:
    assert parse_xk3190(b"000.3000") == Decimal("3.000")
    assert parse_xk3190(b"00.1000-") == Decimal("-1.00")
    assert parse_xk3190(b"432.1000") == Decimal("1.234")
    for bad in (b"000.300+", b"00x.3000", b"000.300", b"0..10000"):
        with pytest.raises(Garbled):
            parse_xk3190(bad)


def test_an_xk3190_weight_is_stable_once_unchanged_for_the_settle_time() -> None:
    framer = XkFramer(unit="kg", settle_seconds=0.5)
    first = framer.feed(b"=000.3000=000.", 0.0)
    first += framer.feed(b"3000", 0.1)
    assert [(r.grams, r.stable) for r in first] == [(3000, False), (3000, False)]
    assert [(r.grams, r.stable) for r in framer.feed(b"=000.3000", 0.6)] == [(3000, True)]
    assert [(r.grams, r.stable) for r in framer.feed(b"=050.3000", 0.7)] == [(3050, False)]
    assert framer.feed(b"=00=000.3000=abcdefgh", 0.8)[0].grams == 3000
    assert framer.garbled == 2


# -- the reader through pseudo-terminals -------------------------------------------------------


class FakeToledo:
    """A Toledo 8217 on the far side of a pty: answers each `W` with `answer` (None: silent)."""

    def __init__(self, port: Pty) -> None:
        self.port = port
        self.answer: bytes | None = b"\x02  1.234\r"
        self.asked: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.port.controller], [], [], 0.05)
            if not ready:
                continue
            try:
                asked = os.read(self.port.controller, 64)
            except OSError:
                return
            for command in asked:
                self.asked.append(bytes([command]))
                if command == ord("W") and self.answer is not None:
                    os.write(self.port.controller, self.answer)
                elif command in b"TZ":
                    os.write(self.port.controller, b"\x02?" + status() + b"\r")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@pytest.fixture
def quick_scale(tmp_path: Path) -> Iterator[list[ScaleReader]]:
    made: list[ScaleReader] = []
    yield made
    for scale in made:
        scale.stop()


def reader(made: list[ScaleReader], port: Pty, kind: str, **kw: object) -> ScaleReader:
    scale = ScaleReader(
        "bench-scale",
        str(port.link),
        kind=kind,
        poll_seconds=0.05,
        no_answer_seconds=0.4,
        retry_seconds=0.05,
        **kw,  # type: ignore[arg-type]
    )
    made.append(scale)
    scale.start()
    return scale


def test_a_toledo_scale_through_a_pty_is_asked_and_read(
    tmp_path: Path, quick_scale: list[ScaleReader]
) -> None:
    port = Pty(tmp_path / "ttyScale")
    scale_side = FakeToledo(port)
    try:
        scale = reader(quick_scale, port, "toledo8217", unit="kg")
        wait_for(lambda: scale.report().get("grams") == 1234)
        assert scale.report()["stable"] is True
        scale_side.answer = b"\x02?" + status(motion=True) + b"\r"
        wait_for(lambda: scale.report()["stable"] is False)
        assert scale.report()["grams"] == 1234  # in motion: the last weight, not stable
        scale_side.answer = b"\x02  0.800N\r"
        wait_for(lambda: scale.report().get("grams") == 800)
        assert (scale.report()["net"], scale.report()["stable"]) == (True, True)
        scale.tare()
        wait_for(lambda: b"T" in scale_side.asked)
        scale_side.answer = b"\x02 garbage\r"
        wait_for(lambda: scale.garbled >= 3)
        scale_side.answer = None
        wait_for(lambda: scale.report() == {"state": "no_answer", "scale": "bench-scale"})
        scale_side.answer = b"\x02  2.000\r"
        wait_for(lambda: scale.report().get("grams") == 2000)
    finally:
        scale_side.stop()
        port.unplug()


def test_a_continuous_scale_through_a_pty_survives_unplug_and_replug(
    tmp_path: Path, quick_scale: list[ScaleReader], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "bondfloor.devices.scales")
    port = Pty(tmp_path / "ttyScale")
    changes: list[str] = []
    scale = reader(quick_scale, port, "continuous")
    scale.on_change = lambda: changes.append(scale.state)
    try:
        wait_for(lambda: scale.opened == 1)  # opening the port flushes what came before
        port.send(b"US,GS,+  1.198kg\r\n")
        wait_for(lambda: scale.report().get("grams") == 1198)
        assert scale.report()["stable"] is False
        port.send(b"ST,GS,+  1.200kg\r\n\xff\xfe\r\nST,GS,+  1.200kg\r\n")
        wait_for(lambda: scale.report().get("stable") is True)
        assert (scale.report()["grams"], scale.garbled) == (1200, 1)
        port.send(b"ST,NT,+  0.950kg\r\n")
        wait_for(lambda: scale.report().get("net") is True)
        wait_for(lambda: scale.state == "no_answer")  # it stopped sending
        port.unplug()
        wait_for(lambda: scale.report() == {"state": "unplugged", "scale": "bench-scale"})
        opened = scale.opened
        port = Pty(tmp_path / "ttyScale")
        wait_for(lambda: scale.opened > opened)
        port.send(b"ST,GS,+  0.500kg\r\n")
        wait_for(lambda: scale.report().get("grams") == 500)
    finally:
        scale.stop()
        port.unplug()
    assert "unplugged" in changes and changes[-1] == "reading"
    lost = [r for r in caplog.records if "unplugged, retrying" in r.getMessage()]
    assert len(lost) == 1  # said once while it was away, not at every retry


def test_an_xk3190_scale_through_a_pty_reads_reversed_frames(
    tmp_path: Path, quick_scale: list[ScaleReader]
) -> None:
    port = Pty(tmp_path / "ttyScale")
    try:
        scale = reader(quick_scale, port, "xk3190", unit="kg")
        wait_for(lambda: scale.opened == 1)
        port.send(b"=00.1000-=00.1000-")
        wait_for(lambda: scale.report().get("grams") == -1000)
        assert scale.report()["stable"] is False
        wait_for(lambda: scale.state == "no_answer")
        stop = threading.Event()

        def keep_sending() -> None:
            while not stop.wait(0.05):
                port.send(b"=000.3000")

        sender = threading.Thread(target=keep_sending, daemon=True)
        sender.start()
        try:
            wait_for(lambda: scale.report().get("stable") is True)
            assert scale.report()["grams"] == 3000
        finally:
            stop.set()
            sender.join()
    finally:
        port.unplug()


def test_a_scale_whose_device_is_not_there_is_unplugged(
    tmp_path: Path, quick_scale: list[ScaleReader]
) -> None:
    scale = ScaleReader("bench-scale", str(tmp_path / "ttyNone"), retry_seconds=0.05)
    quick_scale.append(scale)
    scale.start()
    wait_for(lambda: scale.report() == {"state": "unplugged", "scale": "bench-scale"})
    with pytest.raises(ValueError):
        scale.tare()  # a continuous scale takes no commands


# -- the agent's pace --------------------------------------------------------------------------


class RecordingLink:
    """Stands in for the server link: keeps what was posted and when."""

    def __init__(self) -> None:
        self.posts: list[tuple[float, dict[str, object]]] = []

    def request(self, method: str, path: str, body: object = None, **kw: object) -> object:
        from devices.server_link import Answer

        assert (method, path) == ("POST", "/api/v1/stations/pack-01/agent/weight")
        self.posts.append((time.monotonic(), dict(body)))  # type: ignore[call-overload]
        return Answer(200, {"station": "pack-01", "state": "reading"})


class ChangingScale:
    name = "bench-scale"

    def __init__(self) -> None:
        self.grams = 0

    def report(self) -> dict[str, object]:
        return {"grams": self.grams, "stable": False, "scale": self.name}


def test_the_agent_posts_changes_at_most_five_a_second_and_a_keep_alive_when_still(
    tmp_path: Path,
) -> None:
    from devices.station_agent import StationAgent

    agent = StationAgent(token="t", spool_path=tmp_path / "spool.db", server_url="http://x")
    agent.config = {"station": "pack-01"}
    link = RecordingLink()
    agent._connect = lambda: link  # type: ignore[method-assign,assignment,return-value]
    scale, changed = ChangingScale(), threading.Event()
    poster = threading.Thread(
        target=agent._post_weights,
        args=(scale, changed),
        daemon=True,  # type: ignore[arg-type]
    )
    poster.start()
    try:
        settling_from = time.monotonic()
        for grams in range(1, 101):  # a parcel settling: a new weight every 10 ms for 1 s
            scale.grams = grams
            changed.set()
            time.sleep(0.01)
        settled_at = time.monotonic()
        wait_for(lambda: link.posts and link.posts[-1][1]["grams"] == 100, timeout=2)
        still_from = time.monotonic()
        wait_for(lambda: len([t for t, _ in link.posts if t > still_from]) >= 2, timeout=3.5)
    finally:
        agent._stop.set()
        changed.set()
        poster.join(timeout=3)
        agent.spool.close()
    during = [t for t, _ in link.posts if settling_from <= t <= settled_at]
    span = settled_at - settling_from
    assert len(during) <= 5 * span + 2  # at most about 5 a second
    assert len(during) >= 3  # but the changes do go out while it settles
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert min(gaps) >= 0.19
    keep_alives = [t for t, _ in link.posts if t > still_from]
    assert 0.8 <= keep_alives[1] - keep_alives[0] <= 1.5  # about once a second while still
