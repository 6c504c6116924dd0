"""The live weight: a station agent posts its scale's readings, the pack page reads them
(in-process API; the readings live in the server's memory, never in the database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.auth import service as auth
from server.config import DatabaseSettings, ScaleSettings, Settings, StationSettings
from server.stations import live_weight
from tests.conftest import Api, _ctx, table_counts

READING = {
    "grams": 1234,
    "stable": True,
    "net": False,
    "tare_g": 0,
    "unit": "kg",
    "raw": "ST,GS,+  1.234kg",
    "scale": "bench-scale",
    "read_at": "2026-12-07T05:00:00+08:00",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(path=str(tmp_path / "site.db")),
        scales=[
            ScaleSettings(name="bench-scale", device="/dev/ttyUSB9", stale_seconds=3.0),
            ScaleSettings(name="other-scale", device="/dev/ttyUSB8"),
        ],
        stations=[
            StationSettings(name="pack-01", kind="pack_bench", scales=["bench-scale"]),
            StationSettings(name="pack-02", kind="pack_bench", scales=["other-scale"]),
            StationSettings(name="pack-03", kind="pack_bench"),
        ],
    )


@pytest.fixture(autouse=True)
def no_readings() -> Iterator[None]:
    live_weight.forget_all()
    yield
    live_weight.forget_all()


class Clock:
    """The monotonic clock the ages are measured on, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(live_weight, "_monotonic", lambda: self.now)


def agent_headers(api: Api, station: str) -> dict[str, str]:
    token = api.db._write(lambda c: auth.add_api_token(c, _ctx(), station, "station"))["token"]
    return {"Authorization": f"Bearer {token}"}


def report(api: Api, station: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return api.client.post(f"/api/v1/stations/{station}/agent/weight", headers=headers, json=body)


def test_a_reading_reaches_the_weight_the_pack_page_reads(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    agent = agent_headers(api, "pack-01")
    api.get("/api/v1/stations/pack-01/weight", role="packer")  # the packer's login, first
    before = table_counts(api.db)
    sent = report(api, "pack-01", READING, agent)
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"station": "pack-01", "state": "reading"}
    clock.now += 0.25
    seen = api.get("/api/v1/stations/pack-01/weight", role="packer")
    assert seen.status_code == 200, seen.text
    assert seen.json() == {
        "station": "pack-01",
        "state": "reading",
        "grams": 1234,
        "stable": True,
        "net": False,
        "tare_g": 0,
        "unit": "kg",
        "age_ms": 250,
    }
    assert table_counts(api.db) == before  # device state: nothing written


def test_the_agent_of_the_station_reads_its_weight_too(api: Api) -> None:
    agent = agent_headers(api, "pack-01")
    report(api, "pack-01", {**READING, "grams": 5, "stable": False}, agent)
    seen = api.client.get("/api/v1/stations/pack-01/weight", headers=agent).json()
    assert (seen["grams"], seen["stable"]) == (5, False)


def test_an_agent_reads_no_other_stations_weight(api: Api) -> None:
    report(api, "pack-02", {**READING, "scale": "other-scale"}, agent_headers(api, "pack-02"))
    other = api.client.get("/api/v1/stations/pack-02/weight", headers=agent_headers(api, "pack-01"))
    assert (other.status_code, other.json()["error"]["code"]) == (403, "STATION_MISMATCH")
    assert api.get("/api/v1/stations/pack-02/weight", role="packer").json()["grams"] == 1234


def test_a_net_reading_keeps_its_tare(api: Api) -> None:
    agent = agent_headers(api, "pack-01")
    report(api, "pack-01", {**READING, "grams": 800, "net": True, "tare_g": 150}, agent)
    seen = api.get("/api/v1/stations/pack-01/weight", role="packer").json()
    assert (seen["grams"], seen["net"], seen["tare_g"]) == (800, True, 150)


def test_a_reading_older_than_the_scale_allows_is_stale(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    report(api, "pack-01", READING, agent_headers(api, "pack-01"))
    clock.now += 2.9
    assert api.get("/api/v1/stations/pack-01/weight").json()["state"] == "reading"
    clock.now += 0.2
    stale = api.get("/api/v1/stations/pack-01/weight").json()
    assert (stale["state"], stale["grams"], stale["stable"], stale["age_ms"]) == (
        "stale",
        None,
        False,
        3100,
    )


def test_a_station_never_heard_from_is_stale_and_one_without_a_scale_has_none(api: Api) -> None:
    never = api.get("/api/v1/stations/pack-01/weight").json()
    assert (never["state"], never["grams"], never["age_ms"]) == ("stale", None, None)
    none = api.get("/api/v1/stations/pack-03/weight").json()
    assert (none["state"], none["grams"]) == ("no_scale", None)


@pytest.mark.parametrize("state", ["unplugged", "no_answer"])
def test_a_scale_that_is_gone_shows_why_and_no_weight(api: Api, state: str) -> None:
    agent = agent_headers(api, "pack-01")
    report(api, "pack-01", READING, agent)
    gone = report(api, "pack-01", {"state": state, "scale": "bench-scale"}, agent)
    assert gone.status_code == 200, gone.text
    seen = api.get("/api/v1/stations/pack-01/weight").json()
    assert (seen["state"], seen["grams"], seen["stable"]) == (state, None, False)


def test_an_unknown_station_is_refused_with_the_station_error(api: Api) -> None:
    answer = api.get("/api/v1/stations/nowhere/weight")
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "STATION_UNKNOWN")
    sent = report(api, "nowhere", READING, agent_headers(api, "nowhere"))
    assert (sent.status_code, sent.json()["error"]["code"]) == (404, "STATION_UNKNOWN")


def test_an_agent_reports_only_its_own_stations_scales(api: Api) -> None:
    agent = agent_headers(api, "pack-01")
    other = report(api, "pack-02", {**READING, "scale": "other-scale"}, agent)
    assert (other.status_code, other.json()["error"]["code"]) == (403, "STATION_MISMATCH")
    foreign = report(api, "pack-01", {**READING, "scale": "other-scale"}, agent)
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "SCALE_NOT_AT_STATION")
    assert api.get("/api/v1/stations/pack-02/weight").json()["state"] == "stale"


def test_a_bad_report_is_refused_and_changes_nothing(api: Api) -> None:
    agent = agent_headers(api, "pack-01")
    report(api, "pack-01", READING, agent)
    no_grams = report(api, "pack-01", {"scale": "bench-scale", "stable": True}, agent)
    assert (no_grams.status_code, no_grams.json()["error"]["code"]) == (
        400,
        "WEIGHT_READING_INCOMPLETE",
    )
    for body in (
        {**READING, "unit": "oz"},
        {**READING, "raw": "x" * 65},
        {**READING, "grams": "12"},
        {**READING, "state": "on_fire"},
        {**READING, "colour": "red"},
    ):
        refused = report(api, "pack-01", body, agent)
        assert refused.status_code == 400, (body, refused.text)
    assert api.get("/api/v1/stations/pack-01/weight").json()["grams"] == 1234


def test_only_the_station_agent_posts_and_pickers_do_not_read(api: Api) -> None:
    assert report(api, "pack-01", READING, api.headers("packer")).status_code == 403
    assert api.get("/api/v1/stations/pack-01/weight", role="picker").status_code == 403


def test_check_config_refuses_a_station_scale_not_configured(tmp_path: Path) -> None:
    from server.config import ConfigError, load_settings

    path = tmp_path / "site.toml"
    path.write_text(
        '[[scales]]\nname = "s1"\ndevice = "/dev/ttyUSB0"\n'
        '[[stations]]\nname = "pack-01"\nkind = "pack_bench"\nscales = ["s1", "s9"]\n'
    )
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert "no scale named 's9'" in str(refused.value)


def test_the_agent_gets_its_stations_scales_and_reports_their_state(api: Api) -> None:
    agent = agent_headers(api, "pack-01")
    config = api.client.get("/api/v1/station/config", headers=agent).json()
    assert [(s["name"], s["kind"], s["device"]) for s in config["scales"]] == [
        ("bench-scale", "continuous", "/dev/ttyUSB9")
    ]
    beat = api.client.post(
        "/api/v1/station/heartbeat",
        headers=agent,
        json={"scales": {"bench-scale": {"state": "unplugged", "detail": "gone"}}},
    )
    assert beat.status_code == 200, beat.text
    view = api.get("/api/v1/stations/pack-01", role="packer").json()
    assert view["scales"] == ["bench-scale"]
    assert view["agent"]["devices"]["scales"]["bench-scale"]["state"] == "unplugged"
    assert "pack-01" in api.client.get("/health").json()["stations"]  # a scale needs an agent
