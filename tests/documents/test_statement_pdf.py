"""A customer's stored statement as a PDF from the server: A4, read back with pypdf, with the
statement page's content — every line, the subtotals, the minimum top-up, the credits and
the total in yuan; managers only, and a statement that does not exist is a 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from server import clock
from server.billing.charges import CATEGORY_NAMES, UNIT_NAMES, charge_type
from server.documents.statement import yuan
from tests.conftest import Api, movement_by_service, seed_basics
from tests.documents.reading import A4_POINTS, pdf_of, read_pdf

RATES = [
    {"charge_code": "storage.location_day.storage", "rate_fen": 50},
    {"charge_code": "inbound.unit", "rate_fen": 12},
    {"charge_code": "putaway.unit", "rate_fen": 5},
]
MINIMUM_FEN = 500_000  # ¥5,000.00: above what April's storage comes to


def closed_statements(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """March's statement of C1 with 7 units received and put away, and April's: storage
    only, topped up to the minimum, with March's put-away line credited on it."""
    seed_basics(api)
    tariff = api.post(
        "/api/v1/billing/tariffs",
        json={
            "effective_from": "2025-01-01",
            "rates": RATES,
            "minimum_fen": MINIMUM_FEN,
            "reason": "2025 contract",
        },
    )
    assert tariff.status_code == 200, tariff.text
    with clock.use(clock.ManualClock(datetime(2025, 3, 10, 2, tzinfo=UTC))):
        for kind, source, target in (("receive", None, "DOCK-1"), ("putaway", "DOCK-1", "A-1")):
            movement_by_service(
                api,
                kind=kind,
                customer="C1",
                sku="S1",
                quantity=7,
                from_location=source,
                to_location=target,
                document="ASN-1",
            )
    march = api.post("/api/v1/billing/periods/2025-03/close")
    assert march.status_code == 200, march.text
    [march_id] = [s["id"] for s in march.json()["statements"] if s["customer"] == "C1"]
    first = api.get(f"/api/v1/billing/statements/{march_id}").json()
    putaway = next(x for x in first["lines"] if x["charge_code"] == "putaway.unit")
    credit = api.post(
        "/api/v1/billing/credits", json={"line_id": putaway["id"], "reason": "counted twice"}
    )
    assert credit.status_code == 200, credit.text
    assert credit.json()["apply_period"] == "2025-04"
    april = api.post("/api/v1/billing/periods/2025-04/close")
    assert april.status_code == 200, april.text
    [april_id] = [s["id"] for s in april.json()["statements"] if s["customer"] == "C1"]
    return first, api.get(f"/api/v1/billing/statements/{april_id}").json()


def test_a_closed_statement_downloads_as_an_a4_pdf_with_the_pages_content(api: Api) -> None:
    march, april = closed_statements(api)
    assert april["minimum_fen"] > 0 and april["credits_fen"] > 0

    for statement in (march, april):
        answer = api.get(f"/api/v1/billing/statements/{statement['id']}/pdf")
        read = read_pdf(pdf_of(answer))
        assert read.sizes == [A4_POINTS] * read.pages
        name = f"{statement['customer']}-{statement['period']}-v{statement['version']}"
        disposition = answer.headers["content-disposition"]
        assert f'filename="statement-{name}.pdf"' in disposition
        assert unquote(disposition).endswith(f"仓储费用对账单-{name}.pdf")
        assert read.has("仓储费用对账单", "Statement of charges", statement["customer"])
        assert read.has(statement["period"], f"v{statement['version']}")
        # every line: its day, charge, rate and amount, in the statement's order
        for line in statement["lines"]:
            charge = charge_type(line["charge_code"])
            unit = UNIT_NAMES[line["unit"]]
            assert read.has(line["day"], charge.name_zh + charge.name_en, unit.zh + unit.en)
            assert read.has(yuan(line["rate_fen"]), yuan(line["amount_fen"]))
        rows = [f"{x['line_no']}{x['day']}" for x in statement["lines"]]
        assert read.order(*rows) == sorted(read.order(*rows))
        for sub in statement["subtotals"]:
            category = CATEGORY_NAMES[sub["category"]]
            assert read.has(category.zh + category.en + yuan(sub["amount_fen"]))
        assert read.has(
            f"费用合计 Charges {yuan(statement['charges_fen'])}",
            f"补足月最低消费 Minimum top-up {yuan(statement['minimum_fen'])}",
            f"争议退款 Credits {yuan(-statement['credits_fen'])}",
            f"应付总额 Total due {yuan(statement['total_fen'])}",
        )

    # April: storage topped up to the minimum, March's put-away line (7 x ¥0.05) credited.
    assert april["charges_fen"] + april["minimum_fen"] == MINIMUM_FEN
    assert april["total_fen"] == MINIMUM_FEN - 7 * 5
    april_pdf = read_pdf(pdf_of(api.get(f"/api/v1/billing/statements/{april['id']}/pdf")))
    assert april_pdf.has("Credits −¥0.35", "Total due ¥4,999.65")


def test_only_managers_get_a_statement_pdf_and_a_missing_one_is_a_404(api: Api) -> None:
    march, _april = closed_statements(api)
    path = f"/api/v1/billing/statements/{march['id']}/pdf"
    assert api.get(path, role="admin").status_code == 200
    assert api.get(path, role="picker").status_code == 403
    missing = api.get("/api/v1/billing/statements/999999/pdf")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "BILLING_STATEMENT_NOT_FOUND"
