"""Billing structs: tariff versions, recorded services, period decisions, statements and
the `billing.statement_closed` and `billing.period_reopened` events."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from server.fields import Code, Quantity, text

Fen = Annotated[int, Meta(ge=0, le=10**12, description="Money in fen (1/100 yuan)")]
Day = Annotated[
    str,
    Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\Z", description="YYYY-MM-DD"),
]
PeriodName = Annotated[
    str, Meta(pattern=r"^20\d\d-(0[1-9]|1[0-2])\Z", description="A site month, YYYY-MM")
]
Reason = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        # one visible character at least: a blank reason is no reason for the audit
        pattern=r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*\Z",
        description="Why, in words (audited)",
    ),
]


def _d(words: str) -> Meta:
    return Meta(description=words)


# -- requests ----------------------------------------------------------------------------


class RateIn(Struct, forbid_unknown_fields=True, kw_only=True):
    charge_code: Annotated[str, text(60, "A charge code of GET /api/v1/billing/charge-codes")]
    rate_fen: Annotated[Fen, _d("Fen per unit of the charge (per m³-day for volume)")]


class TariffSet(Struct, forbid_unknown_fields=True, kw_only=True):
    """A new version of a customer's tariff (or the site default's, customer empty),
    in force from `effective_from` until the next version; a charge without a rate is not
    billed."""

    customer: Annotated[str, text(40, "The customer's code; empty for the site default")] = ""
    effective_from: Annotated[Day, _d("The first site day the version is in force")]
    minimum_fen: Annotated[Fen, _d("The monthly minimum charge")] = 0
    rates: Annotated[list[RateIn], Meta(max_length=100)]
    reason: Reason


class ServiceRecord(Struct, forbid_unknown_fields=True, kw_only=True):
    """A value-added service done on the floor for a customer."""

    customer: Code
    charge_code: Annotated[str, text(60, "service.labelling, service.kitting or service.photo")]
    quantity: Quantity
    document: Annotated[str, text(60, "The order, plan or request it was done for")] = ""
    note: Annotated[str, text(200)] = ""


class PeriodReopen(Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason


class CreditLine(Struct, forbid_unknown_fields=True, kw_only=True):
    """Credit a disputed line of a closed statement on the customer's next statement."""

    line_id: Annotated[int, Meta(ge=1, le=2**63 - 1)]
    amount_fen: Annotated[int, Meta(ge=1, le=10**12)] | None = None
    """Omitted: the whole line (less what was credited on it already)."""
    reason: Reason


# -- answers -----------------------------------------------------------------------------


class NamesOut(Struct, kw_only=True):
    """What people call it, in Chinese and English."""

    zh: str
    en: str


class ChargeTypeOut(Struct, kw_only=True):
    code: str
    category: str
    unit: str
    description: str
    scale: Annotated[int, _d("Quantities are in units of 1/scale (m³-days: mm³-days)")]
    priced: Annotated[
        bool,
        _d("False: a line a statement adds itself (minimum top-up, credit); no tariff prices it"),
    ]
    name: Annotated[NamesOut, _d("The charge's name, as the statement page and its PDF say it")]
    category_name: NamesOut
    unit_name: NamesOut


class Rate(Struct, kw_only=True):
    charge_code: str
    unit: str
    rate_fen: int


class TariffVersion(Struct, kw_only=True):
    id: int
    customer: Annotated[str, _d("Empty for the site default")]
    effective_from: str
    minimum_fen: int
    rates: list[Rate]
    reason: str
    created_by: str
    created_at: str


class ServiceRecorded(Struct, kw_only=True):
    id: int
    customer: str
    charge_code: str
    quantity: int
    done_at: str


class PeriodState(Struct, kw_only=True):
    period: str
    state: Literal["open", "closed"]
    changed_by: str
    changed_at: str
    reason: str
    closing: Annotated[bool, _d("A close of the period is under way")] = False


class SourceOut(Struct, kw_only=True):
    kind: Annotated[
        str,
        _d(
            "movement, order, plan, sscc, print_job, order_task, count_task, service, "
            "location or statement_line"
        ),
    ]
    ref: str


class StatementLine(Struct, kw_only=True):
    line_no: int
    id: Annotated[int | None, _d("The stored line's id; null on a preview")]
    day: str
    category: str
    charge_code: str
    unit: str
    quantity: Annotated[int, _d("In the charge's unit over its scale (m³-days: mm³-days)")]
    rate_fen: int
    amount_fen: int
    note: str = ""
    sources: list[SourceOut] | None = None


class Subtotal(Struct, kw_only=True):
    category: str
    amount_fen: int


class Statement(Struct, kw_only=True):
    id: Annotated[int | None, _d("Null on a preview of an open period")]
    period: str
    customer: str
    version: int
    state: Literal["preview", "closed", "superseded"]
    lines: list[StatementLine]
    subtotals: list[Subtotal]
    charges_fen: Annotated[int, _d("The lines' sum before the minimum and credits")]
    minimum_fen: Annotated[int, _d("Added to reach the monthly minimum")]
    credits_fen: Annotated[int, _d("Disputed lines of earlier statements credited")]
    total_fen: int


class StatementSummary(Struct, kw_only=True):
    id: int
    period: str
    customer: str
    version: int
    state: Literal["closed", "superseded"]
    total_fen: int
    closed_by: str
    closed_at: str


class PeriodClosed(Struct, kw_only=True):
    period: str
    statements: list[StatementSummary]


class CitingLine(Struct, kw_only=True):
    """A stored statement line that a fact (a movement, a task, a document) is a source of."""

    statement: int
    period: str
    customer: str
    version: int
    state: Literal["closed", "superseded"]
    line_id: int
    line_no: int
    day: str
    charge_code: str
    amount_fen: int
    ref: Annotated[str, _d("The fact's ref asked for that this line cites")] = ""


class TraceTarget(Struct, kw_only=True):
    """Where the trace page shows a fact: `trace.html?kind=&value=&customer=`."""

    kind: Literal["sku", "lot", "location", "order"]
    value: str
    customer: str = ""


class LineSource(Struct, kw_only=True):
    kind: str
    ref: str
    trace: Annotated[TraceTarget | None, _d("Null: the trace page has no view of it")] = None


class LineSources(Struct, kw_only=True):
    """A stored line and the facts it was computed from (the first `limit`, by kind and
    ref), each with where the trace page shows it."""

    statement: int
    line: StatementLine
    total: Annotated[int, _d("How many sources the line has")]
    sources: list[LineSource]


class CreditOut(Struct, kw_only=True):
    id: int
    line_id: int
    customer: str
    amount_fen: int
    apply_period: Annotated[str, _d("The period whose statement carries the credit")]
    reason: str


# -- the event ---------------------------------------------------------------------------


class StatementClosed(Struct, kw_only=True):
    """A customer's statement of a period was closed (frozen)."""

    statement: Annotated[int, _d("The statement's id: GET /api/v1/billing/statements/{id}")]
    period: Annotated[str, _d("The site month, YYYY-MM")]
    customer: Annotated[str, _d("The cargo owner's code")]
    version: Annotated[int, _d("1, then one more each time the period is re-opened and closed")]
    subtotals: Annotated[list[Subtotal], _d("Fen by category, in statement order")]
    charges_fen: Annotated[int, _d("The charge lines' sum")]
    minimum_fen: Annotated[int, _d("Added to reach the monthly minimum")]
    credits_fen: Annotated[int, _d("Credited for disputed lines of earlier statements")]
    total_fen: Annotated[int, _d("What the customer owes for the period, in fen")]
    line_count: Annotated[int, _d("How many lines the statement has")]
    supersedes: Annotated[
        int | None,
        _d(
            "The statement (id) this version replaces, sent in the period's "
            "billing.period_reopened; null for version 1"
        ),
    ] = None


class SupersededStatement(Struct, kw_only=True):
    customer: Annotated[str, _d("The cargo owner's code")]
    statement: Annotated[int, _d("The superseded statement's id")]
    version: Annotated[int, _d("Its version: a close of the period sends the next one")]


class PeriodReopened(Struct, kw_only=True):
    """A closed billing period was re-opened: its statements are superseded."""

    period: Annotated[str, _d("The site month, YYYY-MM")]
    reason: Annotated[str, _d("Why it was re-opened, as the supervisor wrote it")]
    reopened_by: Annotated[str, _d("Who re-opened it (kind:code, e.g. user:sup01)")]
    superseded: Annotated[
        list[SupersededStatement],
        _d("Every statement of the period it held closed, by customer; they stay readable"),
    ]
