"""Health, client settings and the published API description."""

from __future__ import annotations

from tests.conftest import Api, seed_basics


def test_health_reports_site_workers_and_journal(api: Api) -> None:
    seed_basics(api)
    api.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "C1",
            "sku": "S1",
            "quantity": 1,
            "to_location": "A-1",
        },
    )
    health = api.client.get("/health").json()
    assert health["status"] == "ok"
    assert health["site"] == api.settings.site.code
    assert health["events"]["last_seq"] == 1
    assert health["workers"]["sessions"]["running"] is True


def test_client_config_is_public_and_carries_scan_settings(api: Api) -> None:
    config = api.client.get("/api/v1/client-config").json()
    assert config["scan"]["gs_placeholder"] == "~"
    assert config["roles"]["picker"] == {"zh": "拣货员", "en": "Picker"}


def test_client_config_gives_the_site_time_zone_for_the_pages_clock(api: Api) -> None:
    config = api.client.get("/api/v1/client-config").json()
    assert config["site"]["timezone"] == api.settings.site.timezone == "Asia/Shanghai"


def test_openapi_lists_every_api_route(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/stock/lookup",
        "/api/v1/import/{kind}",
        "/api/v1/ledger/movements",
        "/health",
    } <= paths
    post_customer = schema["paths"]["/api/v1/customers"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post_customer["parameters"])


def test_handheld_pages_are_revalidated_after_an_upgrade(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200 and "<html" in page.text
    assert "no-cache" in page.headers["cache-control"]
