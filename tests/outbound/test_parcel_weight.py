"""The expected parcel weight at packing: Σ units × each SKU's weight plus the packaging
allowance, ± the site's tolerance; outside it the pack is refused once and the packer
confirms (in-process API, real SQLite)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from server.config import OutboundSettings, Settings
from server.errors import DomainError
from server.masterdata import service as masterdata
from server.masterdata.schemas import SkuIn
from server.outbound.schemas import ExpectedWeight
from server.outbound.weighing import check_parcel_weight, expected_weight, weight_range
from tests.conftest import Api, add_user, command_by_service, table_counts
from tests.outbound.helpers import (
    CREAM,
    SOAP,
    outbound_settings,
    pack,
    picked_order,
    put_stock,
    seed_outbound,
)
from tests.stations.test_station_scans import BADGE, Station

SOAP_G = 200
ALLOWANCE_G = 40


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return outbound_settings(
        tmp_path,
        weight_check=True,
        weight_tolerance_percent=10.0,
        weight_tolerance_min_g=50,
        packaging_allowance_g=ALLOWANCE_G,
    )


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    soap = {"customer": "C1", "code": "S1", "name": "Soap", "barcodes": [SOAP], "weight_g": SOAP_G}
    command_by_service(api, "sku.upsert", msgspec.convert(soap, SkuIn), masterdata.upsert_sku)
    put_stock(api, "A-1", "S1", 20)
    return api


def _expected(site: Api, order_id: int) -> ExpectedWeight:
    return site.db.read(lambda c: expected_weight(c, site.settings.outbound, order_id))


def test_the_expected_weight_is_units_times_sku_weight_plus_the_allowance(site: Api) -> None:
    order = picked_order(site, [{"sku": "S1", "quantity": 3}])
    opened = site.get("/api/v1/packing/open", role="packer", params={"scan": "T-1"})
    assert opened.status_code == 200, opened.text
    # 3 × 200 + 40 = 640; 10 % is 64 g, more than the 50 g least tolerance.
    assert opened.json()["weight"] == {
        "expected_weight_g": 640,
        "min_g": 576,
        "max_g": 704,
        "unknown_skus": [],
        "checked": True,
    }
    assert _expected(site, order["id"]).expected_weight_g == 640


def test_a_sku_without_a_weight_makes_the_expectation_unknown_and_any_weight_packs(
    site: Api,
) -> None:
    put_stock(site, "A-2", "S3", 5, lot="L1", expiry="2027-05-31")
    order = picked_order(site, [{"sku": "S1", "quantity": 1}, {"sku": "S3", "quantity": 1}])
    weight = site.get("/api/v1/packing/open", role="packer", params={"scan": "T-1"}).json()[
        "weight"
    ]
    assert weight == {
        "expected_weight_g": None,
        "min_g": None,
        "max_g": None,
        "unknown_skus": ["S3"],
        "checked": True,
    }
    done = pack(site, order["id"], [SOAP, f"01{CREAM.zfill(14)}10L1"], weight_g=9000)
    assert done.status_code == 200, done.text
    assert done.json()["weight_confirmed"] is False


@pytest.mark.parametrize(
    ("expected", "percent", "least", "low", "high"),
    [
        (1000, 10.0, 50, 900, 1100),  # 10 % is wider than 50 g
        (200, 10.0, 50, 150, 250),  # 10 % is 20 g: the least tolerance wins
        (1005, 10.0, 0, 904, 1106),  # 100.5 g rounds up, never narrower than asked
        (30, 0.0, 50, 0, 80),  # never below zero
    ],
)
def test_the_tolerance_is_the_larger_of_percent_and_least_grams(
    expected: int, percent: float, least: int, low: int, high: int
) -> None:
    assert weight_range(expected, percent, least) == (low, high)


@pytest.mark.parametrize(
    ("weight_g", "refused"),
    [(899, True), (900, False), (1000, False), (1100, False), (1101, True)],
)
def test_both_ends_of_the_range_pack_and_one_gram_beyond_is_refused(
    weight_g: int, refused: bool
) -> None:
    expected = ExpectedWeight(
        expected_weight_g=1000, min_g=900, max_g=1100, unknown_skus=[], checked=True
    )
    if refused:
        with pytest.raises(DomainError) as caught:
            check_parcel_weight(expected, weight_g, confirmed=False)
        assert caught.value.code == "WEIGHT_OUTSIDE_EXPECTED"
        assert check_parcel_weight(expected, weight_g, confirmed=True) is True
    else:
        assert check_parcel_weight(expected, weight_g, confirmed=False) is False


def test_a_site_without_the_check_packs_any_weight() -> None:
    expected = ExpectedWeight(
        expected_weight_g=1000, min_g=900, max_g=1100, unknown_skus=[], checked=False
    )
    assert check_parcel_weight(expected, 5000, confirmed=False) is False
    assert OutboundSettings().weight_check is False


def test_an_out_of_range_weight_is_refused_with_the_range_then_packs_when_confirmed(
    site: Api,
) -> None:
    order = picked_order(site, [{"sku": "S1", "quantity": 2}])  # 440 g, 390–490
    first = pack(site, order["id"], [SOAP, SOAP], weight_g=4400)  # the items go in
    assert first.json()["error"]["code"] == "WEIGHT_OUTSIDE_EXPECTED"
    before = table_counts(site.db)
    refused = site.post(
        f"/api/v1/orders/{order['id']}/pack",
        role="packer",
        json={"weight_g": 520, "station": "pack-01"},
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "WEIGHT_OUTSIDE_EXPECTED"
    assert error["details"] == {"weight_g": 520, "expected_g": 440, "min_g": 390, "max_g": 490}
    ignored = ("audit", "commands")  # the refusal itself is audited and kept for its key
    assert {k: v for k, v in table_counts(site.db).items() if k not in ignored} == {
        k: v for k, v in before.items() if k not in ignored
    }
    confirmed = site.post(
        f"/api/v1/orders/{order['id']}/pack",
        role="packer",
        json={"weight_g": 520, "station": "pack-01", "weight_confirmed": True},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["weight_confirmed"] is True
    event = _packed_event(site, order["order_no"])
    assert (event["weight_g"], event["expected_weight_g"], event["weight_confirmed"]) == (
        520,
        440,
        True,
    )
    trail = site.get("/api/v1/trace", params={"kind": "order", "value": order["order_no"]})
    notes = [e["note"] for e in trail.json()["entries"] if e["what"] == "order.packed"]
    assert notes == ["520 g at pack-01, confirmed against 440 g expected"]


def test_a_weight_in_range_packs_at_once_and_is_not_marked_confirmed(site: Api) -> None:
    order = picked_order(site, [{"sku": "S1", "quantity": 1}])  # 240 g, 190–290
    done = site.post(
        f"/api/v1/orders/{order['id']}/pack-scans",
        role="packer",
        json={"scan": SOAP, "station": "pack-01"},
    )
    assert done.status_code == 200, done.text
    packed = site.post(
        f"/api/v1/orders/{order['id']}/pack",
        role="packer",
        json={"weight_g": 290, "station": "pack-01", "weight_confirmed": True},
    )
    assert packed.status_code == 200, packed.text
    assert packed.json()["weight_confirmed"] is False
    assert _packed_event(site, order["order_no"])["weight_confirmed"] is False


def test_the_benchs_own_view_shows_the_expected_weight_and_its_pack_refuses_then_confirms(
    site: Api,
) -> None:
    add_user(site.db, site.settings, "pk7", ["packer"], badge=BADGE)
    order = picked_order(site, [{"sku": "S1", "quantity": 2}])  # 440 g, 390–490
    bench = Station(site, "pack-01")
    bench.scan(BADGE)
    bench.scan("T-1")
    assert bench.scan(SOAP)["outcome"] == "ok"
    assert bench.scan(SOAP)["effect"]["complete"] is True
    # The station's own page shows what the parcel should weigh, as the pack page does.
    view = site.get("/api/v1/stations/pack-01", role="packer").json()
    assert view["expected_weight"] == {
        "expected_weight_g": 440,
        "min_g": 390,
        "max_g": 490,
        "unknown_skus": [],
        "checked": True,
    }
    refused = site.post(
        "/api/v1/stations/pack-01/pack",
        role="packer",
        json={"weight_g": 300, "order_no": order["order_no"]},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "WEIGHT_OUTSIDE_EXPECTED"
    assert refused.json()["error"]["details"]["min_g"] == 390
    made = site.post(
        "/api/v1/stations/pack-01/pack",
        role="packer",
        json={"weight_g": 300, "order_no": order["order_no"], "weight_confirmed": True},
    )
    assert made.status_code == 200, made.text
    assert made.json()["weight_confirmed"] is True
    assert _packed_event(site, order["order_no"])["weight_confirmed"] is True
    assert site.get("/api/v1/stations/pack-01", role="packer").json()["expected_weight"] is None


def _packed_event(site: Api, order_no: str) -> dict[str, Any]:
    rows = site.db.read(
        lambda c: c.execute("SELECT payload FROM events WHERE type = 'order.packed'").fetchall()
    )
    found = [json.loads(r[0]) for r in rows if json.loads(r[0])["order_no"] == order_no]
    assert len(found) == 1
    return dict(found[0])


def test_the_client_config_tells_the_pack_page_how_the_scales_weight_is_taken(
    tmp_path: Any,
) -> None:
    from litestar.testing import TestClient

    from server.app import create_app

    for take in ("tap", "auto"):
        app = create_app(outbound_settings(tmp_path / take, scale_take=take))
        with TestClient(app) as client:
            config = client.get("/api/v1/client-config").json()
        assert config["packing"] == {"scale_take": take}


def test_a_confirm_sent_without_a_warning_packs_but_raises_an_alert_for_the_supervisor(
    site: Api,
) -> None:
    """A client that always sends `weight_confirmed` skips the warning; the parcel still
    goes out (the packer may know better), but the supervisor is told."""
    from datetime import UTC, datetime

    from server.alerts.service import check_alerts

    order = picked_order(site, [{"sku": "S1", "quantity": 2}])  # 440 g, 390–490
    for _ in range(2):
        scanned = site.post(
            f"/api/v1/orders/{order['id']}/pack-scans",
            role="packer",
            json={"scan": SOAP, "station": "pack-01"},
        )
        assert scanned.status_code == 200, scanned.text
    packed = site.post(
        f"/api/v1/orders/{order['id']}/pack",
        role="packer",
        json={"weight_g": 900, "station": "pack-01", "weight_confirmed": True},
    )
    assert packed.status_code == 200, packed.text
    assert packed.json()["weight_confirmed"] is True
    check_alerts(site.db, site.settings, datetime.now(UTC))
    alerts = site.get("/api/v1/alerts", role="supervisor").json()
    found = [a for a in alerts if a["kind"] == "PARCEL_WEIGHT_UNWARNED"]
    assert len(found) == 1, alerts
    assert found[0]["subject"] == "user:packer01"
    assert found[0]["details"]["last_order"] == order["order_no"]
    audit = site.get("/api/v1/audit", role="supervisor").json()
    confirms = [a for a in audit if a["action"] == "pack.weight_confirmed"]
    assert [(a["target"], a["code"]) for a in confirms] == [
        (f"order:{order['order_no']}", "WEIGHT_OUTSIDE_EXPECTED")
    ]


def test_a_confirm_after_the_warning_is_audited_without_an_alert(site: Api) -> None:
    from datetime import UTC, datetime

    from server.alerts.service import check_alerts

    order = picked_order(site, [{"sku": "S1", "quantity": 2}])  # 440 g, 390–490
    first = pack(site, order["id"], [SOAP, SOAP], weight_g=900)
    assert first.json()["error"]["code"] == "WEIGHT_OUTSIDE_EXPECTED"
    packed = site.post(
        f"/api/v1/orders/{order['id']}/pack",
        role="packer",
        json={"weight_g": 900, "station": "pack-01", "weight_confirmed": True},
    )
    assert packed.status_code == 200, packed.text
    check_alerts(site.db, site.settings, datetime.now(UTC))
    alerts = site.get("/api/v1/alerts", role="supervisor").json()
    assert [a for a in alerts if a["kind"] == "PARCEL_WEIGHT_UNWARNED"] == []
    audit = site.get("/api/v1/audit", role="supervisor").json()
    assert [a["action"] for a in audit].count("pack.weight_confirmed") == 1


def test_a_confirm_at_the_bench_after_its_warning_raises_no_alert(site: Api) -> None:
    from datetime import UTC, datetime

    from server.alerts.service import check_alerts

    add_user(site.db, site.settings, "pk7", ["packer"], badge=BADGE)
    order = picked_order(site, [{"sku": "S1", "quantity": 2}])  # 440 g, 390–490
    bench = Station(site, "pack-01")
    bench.scan(BADGE)
    bench.scan("T-1")
    bench.scan(SOAP)
    bench.scan(SOAP)
    body = {"weight_g": 300, "order_no": order["order_no"]}
    refused = site.post("/api/v1/stations/pack-01/pack", role="packer", json=body)
    assert refused.json()["error"]["code"] == "WEIGHT_OUTSIDE_EXPECTED"
    made = site.post(
        "/api/v1/stations/pack-01/pack", role="packer", json={**body, "weight_confirmed": True}
    )
    assert made.status_code == 200, made.text
    check_alerts(site.db, site.settings, datetime.now(UTC))
    alerts = site.get("/api/v1/alerts", role="supervisor").json()
    assert [a for a in alerts if a["kind"] == "PARCEL_WEIGHT_UNWARNED"] == []
    audit = site.get("/api/v1/audit", role="supervisor").json()
    confirms = [a for a in audit if a["action"] == "pack.weight_confirmed"]
    assert [c["details"]["warned"] for c in confirms] == [True]
