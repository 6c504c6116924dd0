"""The billing pages in a real Chromium at phone size, on the demo warehouse: a supervisor
closes last month on the billing page, opens each customer's statement (the A4 page: its
lines, subtotals, minimum, credits and total in yuan from the stored fen) and downloads
its CSV (and the first one's PDF), re-opens the month with a reason; then adds a tariff version on the tariff page.
One test, one page: the pages are cheap to reach once the month is closed.

BONDFLOOR_SCREENSHOTS=DIR keeps each page's screenshot in both languages for a look.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest
from playwright.sync_api import Page, Route, expect

from server.billing.charges import (
    CATEGORIES,
    CATEGORY_NAMES,
    CHARGE_TYPES,
    NO_RATE_CODES,
    charge_type,
)
from server.billing.schemas import Statement, StatementLine, Subtotal
from server.documents.statement import statement_pdf
from tests.documents.reading import read_pdf
from tests.e2e.conftest import PHONE, Server
from tests.e2e.test_accessibility import run_axe

pytestmark = pytest.mark.e2e

SITE_ZONE = ZoneInfo("Asia/Shanghai")  # the demo site's zone
SHOTS = (
    Path(os.environ["BONDFLOOR_SCREENSHOTS"]) if os.environ.get("BONDFLOOR_SCREENSHOTS") else None
)


def yuan(fen: int) -> str:
    sign = "−" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def last_month() -> str:
    first = datetime.now(SITE_ZONE).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def shoot(page: Page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def language(page: Page, lang: str) -> None:
    """Switch the page to `lang` ("zh" or "en") with its own button."""
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en" if lang == "en" else "zh-CN")


def names_shown(page: Page) -> dict[str, dict[str, list[str]]]:
    """The statement page's charge of each line (without its note) and category of each
    subtotal, in Chinese and in English."""
    shown: dict[str, dict[str, list[str]]] = {}
    for lang in ("en", "zh"):
        language(page, lang)
        charges = page.locator("#doc-lines tbody tr td:nth-child(3)").all_inner_texts()
        categories = page.locator("#doc-subtotals tbody tr td:first-child").all_inner_texts()
        shown[lang] = {"charges": [c.split(": ")[0] for c in charges], "categories": categories}
    return shown


def in_both_languages(page: Page, name: str) -> None:
    """A screenshot in Chinese, then in English, back to Chinese."""
    shoot(page, f"{name}-zh")
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, f"{name}-en")
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


# How the statement's lines fit the screen: column 7 is the amount, column 1 the line's
# link; the sections are the lines' and the subtotals' (with the totals).
MEASURE_STATEMENT = """() => {
  const shown = (el) => el.checkVisibility() && el.getClientRects().length > 0;
  const sections = ['doc-lines-section', 'doc-subtotals-section'].map((id) => {
    const section = document.getElementById(id);
    const { left, right } = section.getBoundingClientRect();
    return { id, scrollWidth: section.scrollWidth, clientWidth: section.clientWidth, left, right };
  });
  const rows = [...document.querySelectorAll('#doc-lines tbody tr')];
  const amounts = rows.map((tr) => tr.children[6]);
  const links = rows.map((tr) => tr.querySelector('a.stmt-line-link'));
  const totals = [...document.querySelectorAll('#doc-subtotals td')];
  return {
    documentWidth: document.documentElement.scrollWidth,
    sections,
    lines: rows.length,
    amountsHidden: amounts.filter((td) => !shown(td)).length,
    amountsLeft: Math.min(...amounts.map((td) => td.getBoundingClientRect().left)),
    amountsRight: Math.max(...amounts.map((td) => td.getBoundingClientRect().right)),
    totalsHidden: totals.filter((td) => !shown(td)).length,
    totalsRight: Math.max(...totals.map((td) => td.getBoundingClientRect().right)),
    linkHeight: Math.min(...links.map((a) => a.getBoundingClientRect().height)),
    linkWidth: Math.min(...links.map((a) => a.getBoundingClientRect().width)),
  };
}"""

# In print the lines are the A4 table: its header shown, each row's 7 cells side by side.
MEASURE_PRINTED_LINES = """() => {
  const table = document.getElementById('doc-lines');
  const head = [...table.querySelectorAll('thead th')];
  const rows = [...table.querySelectorAll('tbody tr')];
  const tops = (tr) => new Set([...tr.children].map((td) => Math.round(td.getBoundingClientRect().top)));
  return {
    display: getComputedStyle(table).display,
    headShown: head.filter((th) => th.checkVisibility() && th.getBoundingClientRect().height > 1).length,
    rowsOnOneLine: rows.filter((tr) => tr.children.length === 7 && tops(tr).size === 1).length,
    rows: rows.length,
  };
}"""


def the_statement_lines_fit_the_phone(page: Page, name: str) -> None:
    """At 360 px, in both languages, every line's amount and every total is on screen with
    no sideways scrolling, each line's link is a gloved thumb's target, the accessibility
    tree still has the lines as a table with its column headers, and axe finds nothing; in
    print the lines are still the 7-column A4 table."""
    assert page.viewport_size == PHONE
    header_count = page.locator("#doc-lines thead th").count()
    lang = ""
    for turn in range(2):  # the page's language, then the other by its own switch
        if turn:
            page.locator("#lang").click()
            page.wait_for_function(f"() => document.documentElement.lang !== {lang!r}")
        lang = page.evaluate("document.documentElement.lang")
        measured = page.evaluate(MEASURE_STATEMENT)
        assert measured["lines"] > 0
        assert measured["documentWidth"] <= PHONE["width"], measured
        for section in measured["sections"]:
            assert section["scrollWidth"] <= section["clientWidth"], (lang, measured)
        assert measured["amountsHidden"] == 0 and measured["totalsHidden"] == 0, measured
        # On screen, and not clipped by its section either.
        lines, subtotals = measured["sections"]
        assert 0 <= lines["left"] <= measured["amountsLeft"], (lang, measured)
        assert measured["amountsRight"] <= min(lines["right"], PHONE["width"]), (lang, measured)
        assert measured["totalsRight"] <= min(subtotals["right"], PHONE["width"]), (lang, measured)
        assert measured["linkHeight"] >= 48 and measured["linkWidth"] >= 48, measured
        # What a screen reader gets: the lines are a table, its headers columns' names.
        devtools = page.context.new_cdp_session(page)
        tree = devtools.send("Accessibility.getFullAXTree")
        devtools.detach()
        roles = [n.get("role", {}).get("value") for n in tree["nodes"] if not n.get("ignored")]
        headers = page.locator("#doc-lines thead th").all_text_contents()
        names = {
            n.get("name", {}).get("value")
            for n in tree["nodes"]
            if n.get("role", {}).get("value") == "columnheader"
        }
        assert set(headers) <= names, (headers, names)
        assert roles.count("cell") >= header_count * measured["lines"], lang
        assert run_axe(page) == [], lang
        shoot(page, f"{name}-phone-{lang}")
    page.emulate_media(media="print")
    try:
        printed = page.evaluate(MEASURE_PRINTED_LINES)
        shoot(page, f"{name}-print")
    finally:
        page.emulate_media(media="screen")
    assert printed["display"] == "table" and printed["headShown"] == header_count == 7, printed
    assert printed["rowsOnOneLine"] == printed["rows"], printed


def test_a_supervisor_closes_last_month_opens_and_downloads_each_statement_and_reopens_it(
    page: Page,
    logged_in_as: Callable[[str], None],
    demo_db: sqlite3.Connection,
    tmp_path: Path,
) -> None:
    expect.set_options(timeout=30_000)  # closing computes a month: generous on a busy machine
    month = last_month()
    logged_in_as("sup01")
    page.goto("/billing.html")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    card = page.locator(f".billing-period[data-period='{month}']")
    expect(card).to_have_attribute("data-state", "open")
    in_both_languages(page, "billing-open")

    card.locator(".billing-close").click()

    expect(card).to_have_attribute("data-state", "closed")
    stored = demo_db.execute(
        "SELECT s.id, c.code, s.total_fen, s.minimum_fen, s.credits_fen, "
        "(SELECT COUNT(*) FROM billing_statement_lines l WHERE l.statement_id = s.id) "
        "FROM billing_statements s JOIN customers c ON c.id = s.customer_id "
        "WHERE s.period = ? AND s.state = 'closed' ORDER BY s.id",
        (month,),
    ).fetchall()
    customers = demo_db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    assert len(stored) == customers  # each demo customer has a monthly minimum: a statement
    expect(card.locator(".billing-statement")).to_have_count(len(stored))
    in_both_languages(page, "billing-closed")
    richest = max(stored, key=lambda s: s[5])[0]  # the most lines: the most names to compare

    for statement_id, customer, total, minimum, credits, lines in stored:
        page.goto(f"/statement.html?id={statement_id}")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("[data-fact='customer']")).to_have_text(customer)
        expect(page.locator("#doc-lines tbody tr")).to_have_count(lines)
        expect(page.locator("[data-total='total']")).to_have_text(yuan(total))
        expect(page.locator("[data-total='minimum']")).to_have_text(yuan(minimum))
        expect(page.locator("[data-total='credits']")).to_have_text(yuan(-credits))
        # The page names each line's charge and each category as the server keeps them
        # (server/billing/charges.py); the PDF below must say the same.
        shown = names_shown(page)
        codes = [
            r[0]
            for r in demo_db.execute(
                "SELECT charge_code FROM billing_statement_lines WHERE statement_id = ? "
                "ORDER BY line_no",
                (statement_id,),
            )
        ]
        assert shown["zh"]["charges"] == [charge_type(c).name_zh for c in codes]
        assert shown["en"]["charges"] == [charge_type(c).name_en for c in codes]
        assert shown["en"]["categories"] and all(
            (zh, en) in CATEGORY_NAMES.values()
            for zh, en in zip(shown["zh"]["categories"], shown["en"]["categories"], strict=True)
        )
        if statement_id == stored[0][0]:
            in_both_languages(page, "statement")
            # A line's number opens the facts it was computed from (the demo's first line:
            # last month's first day of storage, the locations its stock was on).
            sources = demo_db.execute(
                "SELECT COUNT(*) FROM billing_line_sources s JOIN billing_statement_lines l "
                "ON l.id = s.line_id WHERE l.statement_id = ? AND l.line_no = 1",
                (statement_id,),
            ).fetchone()[0]
            page.locator("#doc-lines tbody tr").first.locator("a.stmt-line-link").click()
            expect(page.locator("#sources")).to_be_visible()
            expect(page.locator("#doc-lines tbody tr.stmt-line-chosen")).to_have_count(1)
            expect(page.locator("#sources-list li")).to_have_count(sources)
            shoot(page, "statement-line-chosen")
        with page.expect_download() as download:
            page.locator("#csv").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == f"statement-{customer}-{month}-v1.csv"
        rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
        assert len([r for r in rows[1:] if r[0].isdigit()]) == lines
        assert rows[-1][0] == "total" and int(rows[-1][8]) == total
        # The CSV carries codes, in no language: names are the page's and the PDF's.
        assert rows[0][2:5] == ["category", "charge_code", "unit"]
        assert {r[3] for r in rows[1:] if r[0].isdigit()} <= {*CHARGE_TYPES, *NO_RATE_CODES}
        if statement_id == richest:
            # The A4 PDF of the same statement, from its button (one is enough here:
            # tests/documents/test_statement_pdf.py reads its content line by line).
            with page.expect_download() as download:
                page.locator("#pdf").click()
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            assert saved.name == f"仓储费用对账单-{customer}-{month}-v1.pdf"
            read = read_pdf(saved.read_bytes())
            assert read.has("仓储费用对账单", customer, f"Total due {yuan(total)}")
            # Each line's charge and each category as the page said them: Chinese above
            # English in one cell.
            for kind in ("charges", "categories"):
                pairs = zip(shown["zh"][kind], shown["en"][kind], strict=True)
                assert all(read.has(zh + en) for zh, en in pairs), kind

    page.goto("/billing.html")
    expect(card).to_have_attribute("data-state", "closed")
    card.locator(".billing-reopen input").fill("customer asked for a recount")
    card.locator(".billing-reopen button").click()

    expect(card).to_have_attribute("data-state", "open")
    expect(card.locator(".billing-statement")).to_have_count(len(stored))  # superseded, kept
    states = {
        r[0]
        for r in demo_db.execute(
            "SELECT state FROM billing_statements WHERE period = ?", (month,)
        ).fetchall()
    }
    assert states == {"superseded"}


def test_a_manager_sees_a_customers_tariff_versions_and_adds_one(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    customer = demo_db.execute("SELECT code FROM customers ORDER BY id LIMIT 1").fetchone()[0]
    versions = demo_db.execute(
        "SELECT COUNT(*) FROM billing_tariffs t JOIN customers c ON c.id = t.customer_id "
        "WHERE c.code = ?",
        (customer,),
    ).fetchone()[0]
    starts = (datetime.now(SITE_ZONE).date() + timedelta(days=400)).isoformat()
    logged_in_as("sup01")
    page.goto(f"/tariffs.html?customer={customer}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    # A rate for every charge a tariff prices (not the top-up nor a credit), named as the
    # server names it.
    expect(page.locator("#rates input")).to_have_count(len(CHARGE_TYPES))
    inbound = page.locator("#rates label", has=page.locator("input[data-charge='inbound.unit']"))
    expect(inbound.locator("span")).to_have_text(f"{CHARGE_TYPES['inbound.unit'].name_zh} (元/件)")
    expect(page.locator(".billing-version")).to_have_count(versions)
    in_both_languages(page, "tariffs")

    page.locator("#effective-from").fill(starts)
    page.locator("#rates input[data-charge='inbound.unit']").fill("0.35")
    page.locator("#minimum").fill("1200")
    page.locator("#reason").fill("contract 2027")
    page.locator("#add-submit").click()

    expect(page.locator(".billing-version")).to_have_count(versions + 1)
    newest = page.locator(".billing-version").first
    expect(newest).to_have_attribute("data-effective-from", starts)
    expect(newest.locator("dd[data-charge='inbound.unit']")).to_have_text("¥0.35")
    row = demo_db.execute(
        "SELECT t.minimum_fen, r.rate_fen, t.reason FROM billing_tariffs t "
        "JOIN billing_tariff_rates r ON r.tariff_id = t.id AND r.charge_code = 'inbound.unit' "
        "WHERE t.effective_from = ?",
        (starts,),
    ).fetchone()
    assert tuple(row) == (120_000, 35, "contract 2027")
    audited = demo_db.execute(
        "SELECT COUNT(*) FROM audit WHERE action = 'billing.set_tariff' AND target = ?",
        (f"tariff:{customer}:{starts}",),
    ).fetchone()[0]
    assert audited == 1


def every_charge_statement(statement_id: int) -> Statement:
    """A statement with a line of every charge a line can be and every category: no demo
    month holds them all."""
    kinds = [*CHARGE_TYPES.values(), *NO_RATE_CODES.values()]
    lines = [
        StatementLine(
            line_no=n,
            id=n,
            day="2026-01-31",
            category=kind.category,
            charge_code=kind.code,
            unit=kind.unit,
            quantity=kind.scale,
            rate_fen=100,
            amount_fen=100,
        )
        for n, kind in enumerate(kinds, 1)
    ]
    subtotals = [
        Subtotal(category=c, amount_fen=100 * sum(k.category == c for k in kinds))
        for c in CATEGORIES
    ]
    return Statement(
        id=statement_id,
        period="2026-01",
        customer="HKBEAUTY",
        version=1,
        state="closed",
        lines=lines,
        subtotals=subtotals,
        charges_fen=100 * len(lines),
        minimum_fen=0,
        credits_fen=0,
        total_fen=100 * len(lines),
    )


def test_the_statement_page_and_its_pdf_name_every_charge_and_category_alike(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    """The page (given the statement's answer here) and the PDF the server draws of the
    same statement, read back, name each line's charge and each category the same, in
    both languages: the names are kept once, in server/billing/charges.py."""
    statement = every_charge_statement(900_001)
    answer = msgspec.json.encode(statement)

    def answer_the_statement(route: Route) -> None:
        route.fulfill(body=answer, content_type="application/json")

    page.route(f"**/api/v1/billing/statements/{statement.id}", answer_the_statement)
    logged_in_as("sup01")
    page.goto(f"/statement.html?id={statement.id}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    shown = names_shown(page)
    kinds = [charge_type(line.charge_code) for line in statement.lines]
    assert shown["zh"]["charges"] == [k.name_zh for k in kinds]
    assert shown["en"]["charges"] == [k.name_en for k in kinds]
    assert shown["zh"]["categories"] == [CATEGORY_NAMES[c].zh for c in CATEGORIES]
    assert shown["en"]["categories"] == [CATEGORY_NAMES[c].en for c in CATEGORIES]
    the_statement_lines_fit_the_phone(page, "every-charge-statement")

    read = read_pdf(
        statement_pdf(
            statement, site="HK", printed_at="2026-02-01T02:00:00+00:00", timezone="Asia/Shanghai"
        )
    )
    for kind in ("charges", "categories"):
        pairs = zip(shown["zh"][kind], shown["en"][kind], strict=True)
        assert all(read.has(zh + en) for zh, en in pairs), kind


def test_the_demo_s_last_month_closes_into_statements_of_a_real_month_in_json_csv_and_pdf(
    page: Page,
    logged_in_as: Callable[[str], None],
    session_token: Callable[[str], str],
    server: Server,
    tmp_path: Path,
) -> None:
    """The demo's history: last month's stock, put-away, parcels and services are billed;
    the supervisor closes the month on the billing page and downloads each statement."""
    expect.set_options(timeout=30_000)
    month = last_month()
    logged_in_as("sup01")
    page.goto("/billing.html")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    card = page.locator(f".billing-period[data-period='{month}']")
    expect(card).to_have_attribute("data-state", "open")
    expect(card.locator(".billing-close")).to_be_enabled()  # the month has ended: closable
    card.locator(".billing-close").click()
    expect(card).to_have_attribute("data-state", "closed")
    in_both_languages(page, "demo-billing-closed")

    api = httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {session_token('sup01')}", "X-Device": "e2e-tests"},
        timeout=60,
    )
    listed = api.get("/api/v1/billing/statements", params={"period": month})
    assert listed.status_code == 200, listed.text
    closed = {s["customer"]: s for s in listed.json() if s["state"] == "closed"}
    assert sorted(closed) == ["AUNUTRI", "HKBEAUTY", "JPHOME"]
    for customer, summary in sorted(closed.items()):
        base = f"/api/v1/billing/statements/{summary['id']}"
        statement = api.get(base).json()
        quantities: dict[str, int] = {}
        for line in statement["lines"]:
            quantities[line["charge_code"]] = (
                quantities.get(line["charge_code"], 0) + line["quantity"]
            )
        for code in ("storage.location_day.storage", "inbound.unit", "putaway.unit"):
            assert quantities.get(code, 0) > 0, (customer, code, quantities)
        # Parcels packed and shipped last month, and a value-added service.
        assert quantities.get("outbound.order", 0) > 0 and quantities.get("outbound.unit", 0) > 0
        assert any(code.startswith("service.") for code in quantities), quantities
        assert set(quantities) != {"minimum.topup"}
        assert statement["total_fen"] == sum(x["amount_fen"] for x in statement["lines"])
        assert statement["total_fen"] == summary["total_fen"] > 0

        rows = list(csv.reader(io.StringIO(api.get(f"{base}/csv").text)))
        lines = [r for r in rows[1:] if r[0].isdigit()]
        assert len(lines) == len(statement["lines"])
        assert sum(int(r[8]) for r in lines) == statement["total_fen"]
        assert rows[-1][0] == "total" and int(rows[-1][8]) == statement["total_fen"]

        pdf = api.get(f"{base}/pdf")
        assert pdf.status_code == 200, pdf.text
        read = read_pdf(pdf.content)
        assert read.has(customer, month, f"Total due {yuan(statement['total_fen'])}")
        for code in ("storage.location_day.storage", "inbound.unit", "putaway.unit"):
            assert read.has(charge_type(code).name_zh, charge_type(code).name_en), code

    # The statement page of one customer, as the supervisor sees it after the close.
    page.goto(f"/statement.html?id={closed['HKBEAUTY']['id']}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("[data-total='total']")).to_have_text(yuan(closed["HKBEAUTY"]["total_fen"]))
    in_both_languages(page, "demo-statement")
    the_statement_lines_fit_the_phone(page, "demo-statement")

    # Leave the month as the session found it: open (its statements kept, superseded).
    reopened = api.post(
        f"/api/v1/billing/periods/{month}/reopen",
        headers={"Idempotency-Key": f"demo-reopen-{uuid.uuid4().hex}"},
        json={"reason": "demo closed by a test"},
    )
    assert reopened.status_code == 200, reopened.text
