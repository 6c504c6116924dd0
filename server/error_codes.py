"""Every error code the server answers, in one table: its HTTP status, its English message
template and the parameters the template takes.

A refusal is raised from its entry, so a code cannot be misspelt (mypy) and its status and
words live here only:

    raise ERR.LOCATION_NOT_FOUND({"location": code})          # details, which also fill {location}
    raise ERR.ALERT_NOT_FOUND(alert_id=alert_id)              # a parameter for the message only

The message is the template filled from the details and the keyword parameters (keywords
win); the details are answered as given. To add a code, add one line to `ErrorCodes`, with
the zh-CN and English text in handheld_web/js/error-texts.js; tests/test_error_codes.py
checks both, and that every raise site gives the parameters its template names.
`docs/errors.md` is rendered from this table: `python -m server.error_codes > docs/errors.md`.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.errors import (
    Conflict,
    DomainError,
    Forbidden,
    ImportRejected,
    InvalidInput,
    NotFound,
    ReconciliationRejected,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
)


class _KeepUnknown(dict[str, Any]):
    """A parameter not given keeps its `{name}` in the message: a refusal must never become
    a 500 because of its own wording (tests/test_error_codes.py catches the omission)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class ErrorCode:
    """One code. `kind` is the DomainError class (and so the HTTP status) it is raised as;
    None for a reason code that is only named inside the details of another refusal (a
    departure's reasons, an import's problems)."""

    kind: type[DomainError] | None
    template: str
    # The HTTP status of a code the framework answers without a DomainError class.
    http_status: int | None = field(default=None, kw_only=True)
    # Other classes a few raise sites answer it as, for clients that rely on that status.
    also: tuple[type[DomainError], ...] = field(default=(), kw_only=True)
    # Answered by the framework or a handler of web.py, not raised from server/ code.
    framework: bool = field(default=False, kw_only=True)
    # False for codes only the OMS or an operator's tool can meet (no handheld text).
    handheld: bool = field(default=True, kw_only=True)
    # A refusal of a `bondfloor` command, printed to the operator, never an HTTP answer.
    command_line: bool = field(default=False, kw_only=True)
    code: str = field(default="", init=False)

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "code", name)

    @property
    def status(self) -> int | None:
        return self.kind.status_code if self.kind is not None else self.http_status

    @property
    def params(self) -> tuple[str, ...]:
        """The names the template fills, in order of first use."""
        names = [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        return tuple(dict.fromkeys(names))

    def message(self, details: Mapping[str, Any] | None = None, /, **params: Any) -> str:
        return self.template.format_map(_KeepUnknown({**(details or {}), **params}))

    def __call__(self, details: Mapping[str, Any] | None = None, /, **params: Any) -> DomainError:
        """The refusal to raise, answered with `details`; `params` only fill the message."""
        if self.kind is None:
            raise TypeError(f"{self.code} is a reason code, never raised on its own")
        return self.answered_as(self.kind, details, **params)

    def answered_as(
        self, kind: type[DomainError], details: Mapping[str, Any] | None = None, /, **params: Any
    ) -> DomainError:
        """The refusal raised as one of `also` (its status differs from the entry's)."""
        return kind(self.message(details, **params), code=self.code, details=dict(details or {}))


# A device library's refusal to draw a face sheet (devices/facesheet.py LabelError).
FACE_SHEET = "the face sheet cannot be printed: {problem}"


class ErrorCodes:
    """The table: answers, then reason codes, then command-line refusals, each alphabetical;
    the attribute name is the code."""

    ADMIN_SELF_DEMOTE = ErrorCode(
        Conflict, "you cannot remove your own admin role; another admin can"
    )
    ADMIN_SELF_DISABLE = ErrorCode(Conflict, "you cannot disable yourself; another admin can")
    ALERT_ALREADY_ACKED = ErrorCode(Conflict, "alert {alert_id} was acknowledged by {acked_by}")
    ALERT_NOT_FOUND = ErrorCode(NotFound, "no alert {alert_id}")
    APPROVER_IS_PROPOSER = ErrorCode(
        Forbidden, "a second supervisor decides an adjustment, not the one who proposed it"
    )
    ARRIVAL_MISMATCH = ErrorCode(Unprocessable, "{scanned} does not match plan {plan_no}")
    BADGE_IN_USE = ErrorCode(Conflict, "this badge belongs to another user")
    BADGE_NEEDS_PIN = ErrorCode(Unauthenticated, "this badge needs the PIN too", also=(Forbidden,))
    BADGE_PIN_WRONG = ErrorCode(Unauthenticated, "the badge is known but the PIN is wrong")
    BADGE_UNKNOWN = ErrorCode(Unauthenticated, "this badge is not registered")
    BAD_REQUEST = ErrorCode(InvalidInput, "the request is not valid", framework=True)
    BARCODE_INVALID = ErrorCode(InvalidInput, "not a valid barcode: {problem}")
    BARCODE_IN_USE = ErrorCode(
        InvalidInput, "barcode {barcode} already belongs to SKU {sku} of {customer}"
    )
    BARCODE_UNKNOWN = ErrorCode(NotFound, "{scanned} is no barcode of {plan_no}'s customer")
    BATCH_REJECTED = ErrorCode(
        InvalidInput, "{problem_count} problem(s) in the batch of {count}; nothing was applied"
    )
    BILLING_AMOUNT_TOO_LARGE = ErrorCode(
        Unprocessable,
        "{customer}'s {charge_code} of {day} comes to more than a bill can hold: check its rate",
    )
    BILLING_CHARGE_UNKNOWN = ErrorCode(InvalidInput, "{charge_code} is not a charge code here")
    BILLING_CLOSE_INTERRUPTED = ErrorCode(
        Conflict, "a newer close of billing period {period} took it over"
    )
    BILLING_CREDIT_TOO_LARGE = ErrorCode(
        Unprocessable, "line {line_id} has {left_fen} fen left to credit"
    )
    BILLING_DAY_INVALID = ErrorCode(InvalidInput, "{day} is not a day (YYYY-MM-DD)")
    BILLING_FACTS_CHANGED = ErrorCode(
        Conflict, "facts of billing period {period} changed while it closed: close it again"
    )
    BILLING_LATER_PERIOD_CLOSED = ErrorCode(
        Conflict, "re-open {later} first: it was closed after {period}"
    )
    BILLING_LINE_NOT_CREDITABLE = ErrorCode(
        Conflict, "line {line_id} is not on a closed statement's charges"
    )
    BILLING_LINE_NOT_FOUND = ErrorCode(NotFound, "no statement line {line_id}")
    BILLING_PERIOD_CLOSED = ErrorCode(Conflict, "billing period {period} is closed")
    BILLING_PERIOD_NOT_CLOSED = ErrorCode(Conflict, "billing period {period} is not closed")
    BILLING_PERIOD_NOT_OVER = ErrorCode(
        Conflict, "billing period {period} has not ended yet on the site's calendar"
    )
    BILLING_RATE_TWICE = ErrorCode(InvalidInput, "{charge_code} has two rates in one version")
    BILLING_STATEMENT_NOT_FOUND = ErrorCode(NotFound, "no statement {statement_id}")
    BILLING_DEFAULT_TARIFF_EXISTS = ErrorCode(
        Conflict, "a version of the site's default tariff already starts on {effective_from}"
    )
    BILLING_TARIFF_EXISTS = ErrorCode(
        Conflict, "a tariff version of {customer} already starts on {effective_from}"
    )
    CANCEL_TOO_LATE = ErrorCode(Conflict, "order {order_no} has left the warehouse")
    CARTON_LABEL_INVALID = ErrorCode(
        Unprocessable, "a carton label cannot carry this {field}: {problem}"
    )
    CARTON_LABEL_NOT_FOUND = ErrorCode(
        NotFound, "no carton label with SSCC {sscc} was printed here"
    )
    CODE_NOT_FOUND = ErrorCode(NotFound, "{scanned} is no location, barcode or SKU code here")
    CORRECTION_LOCATION_TYPE = ErrorCode(
        Unprocessable,
        "{location} is a {type} location: corrections are made on storage, pick faces, quarantine, inspection and staging",
    )
    COUNT_IN_PROGRESS = ErrorCode(Conflict, "finish the count of {location} first")
    COUNT_NEGATIVE = ErrorCode(InvalidInput, "a count cannot be negative")
    COUNT_NOT_FOUND = ErrorCode(NotFound, "no count task {task_id}")
    COUNT_NOT_OPEN = ErrorCode(Conflict, "count {task_id} is {status}")
    COUNT_NOT_STARTED = ErrorCode(
        Conflict, "count {task_id} is {status}: scan its location to start it"
    )
    COUNT_SCOPE = ErrorCode(InvalidInput, "name exactly one of locations, zone, sku or abc_class")
    CUSTOMER_NOT_FOUND = ErrorCode(NotFound, "no customer {customer}")
    CUSTOMS_STATUS_UNKNOWN = ErrorCode(InvalidInput, "{code} is not a customs list status")
    CUSTOMS_TIME_IN_FUTURE = ErrorCode(
        Unprocessable,
        "customs time {status_at} is more than {max_ahead_seconds} s ahead of the server clock: check the sender's clock and time zone",
    )
    DAY_OUT_OF_RANGE = ErrorCode(InvalidInput, "the day must be between 2000 and 2999")
    DEPARTURE_BLOCKED = ErrorCode(Conflict, "list {list_no} cannot depart yet")
    DIFFERENCE_REASON_MISMATCH = ErrorCode(Unprocessable, "a reason does not fit its line's count")
    DIFFERENCE_REASON_REQUIRED = ErrorCode(
        Unprocessable, "{count} line(s) differ from the plan and need a reason"
    )
    DISK_FULL = ErrorCode(
        None,
        http_status=503,
        template="the server's disk is full; the change was not made, try again",
        framework=True,
    )
    DOCK_NOT_FOUND = ErrorCode(Unprocessable, "{dock} is not a dock or staging location")
    DOCUMENT_RESERVED = ErrorCode(InvalidInput, "{document} is a document the floor gives itself")
    DOCUMENT_FONT_NOT_FOUND = ErrorCode(Unprocessable, "the PDF cannot be made: {problem}")
    DOOR_BUSY = ErrorCode(Conflict, "list {list_no} is being loaded at {door}")
    DOOR_UNKNOWN = ErrorCode(NotFound, "no dock door {door}")
    DRIVER_ID_INVALID = ErrorCode(InvalidInput, "not a valid ID number: {problem}")
    DRIVER_MISMATCH = ErrorCode(
        Unprocessable, "this ID number is not the driver's on list {list_no}"
    )
    DRIVER_NAME_MISMATCH = ErrorCode(
        Unprocessable, "the name is not the driver's on list {list_no}"
    )
    DRIVER_NOT_VERIFIED = ErrorCode(Conflict, "verify the driver before loading")
    DRIVER_PHONE_INVALID = ErrorCode(InvalidInput, "not a valid phone number: {problem}")
    EXPIRY_MISMATCH = ErrorCode(Unprocessable, "expiry {scanned} is not the reserved {expected}")
    EXPIRY_REQUIRED = ErrorCode(Unprocessable, "{sku} needs its expiry date")
    FONT_NOT_FOUND = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    FORBIDDEN = ErrorCode(Forbidden, "this is not allowed", framework=True)
    IDEMPOTENCY_KEY_INVALID = ErrorCode(
        InvalidInput, "the Idempotency-Key must be at most {max_length} printable characters"
    )
    IDEMPOTENCY_KEY_REQUIRED = ErrorCode(
        InvalidInput, "every change needs an Idempotency-Key header"
    )
    IDEMPOTENCY_KEY_REUSED = ErrorCode(
        Conflict, "this Idempotency-Key was already used for a different request"
    )
    IMPORT_CSV_INVALID = ErrorCode(InvalidInput, "line {line}: not readable as CSV: {problem}")
    IMPORT_EMPTY = ErrorCode(InvalidInput, "the {kind} file has no rows")
    IMPORT_FORMAT_UNKNOWN = ErrorCode(InvalidInput, "the format is csv or json")
    IMPORT_KIND_UNKNOWN = ErrorCode(NotFound, "cannot import {kind!r}; kinds are {kinds}")
    IMPORT_NOT_A_LIST = ErrorCode(InvalidInput, "a JSON import is an array of objects")
    IMPORT_NOT_UTF8 = ErrorCode(InvalidInput, "a CSV import must be UTF-8: {problem}; {how_to_fix}")
    IMPORT_REJECTED = ErrorCode(
        ImportRejected, "{problem_count} problem(s) in the {kind} import; nothing was imported"
    )
    INSUFFICIENT_STOCK = ErrorCode(Unprocessable, "only {on_hand} on hand, cannot take {requested}")
    INTERNAL_ERROR = ErrorCode(
        None, http_status=500, template="the server failed; the change was not made", framework=True
    )
    INVALID_CURSOR = ErrorCode(
        InvalidInput, "this cursor does not belong to this trace: start again from the first page"
    )
    ITEM_AMBIGUOUS = ErrorCode(Unprocessable, "two customers have this barcode: choose the owner")
    ITEM_NOT_ON_LOCATION = ErrorCode(NotFound, "{item} is not on {location}")
    ITEM_NOT_ON_ORDER = ErrorCode(Unprocessable, "{scanned} is not on order {order_no}")
    ITEM_OVER_PACKED = ErrorCode(Unprocessable, "{sku}: all {ordered} are packed already")
    ITEM_UNKNOWN = ErrorCode(NotFound, "no item {scanned}")
    LABEL_FIELD_INVALID = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    LABEL_FIELD_MISSING = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    LABEL_OFF_HEAD = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    LABEL_LAYOUT_INVALID = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    LABEL_SIZE_UNSUPPORTED = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    LABEL_TEXT_TOO_LONG = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    LABEL_TOO_SMALL = ErrorCode(
        Unprocessable,
        "the label on printer {printer} cannot carry this label: {problem}; choose a printer "
        "with a wider label",
    )
    LABEL_WIDER_THAN_HEAD = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    LANE_MISSING = ErrorCode(Unprocessable, "the outbound lane {lane_code} does not exist")
    LANGUAGE_UNKNOWN = ErrorCode(
        InvalidInput, "language is one of {languages}, or '' for the handheld's own choice"
    )
    LAST_ADMIN = ErrorCode(Conflict, "{user} is the last enabled admin; make another admin first")
    LIMIT_OUT_OF_RANGE = ErrorCode(InvalidInput, "limit must be 1 to {max_limit}")
    LABEL_BATCH_TOO_LARGE = ErrorCode(
        Unprocessable, "{count} labels asked for: one request prints at most {most}"
    )
    LABEL_LOCATIONS_UNCHOSEN = ErrorCode(
        InvalidInput, "choose the locations: a zone, a first and last code, or a list of codes"
    )
    LABEL_RANGE_EMPTY = ErrorCode(NotFound, "no location in use from {first} to {last}")
    LABEL_ZONE_EMPTY = ErrorCode(NotFound, "zone {zone} has no location in use")
    LIST_AT_OTHER_DOOR = ErrorCode(Conflict, "list {list_no} is being loaded at {door}")
    LIST_DEPARTED = ErrorCode(
        Conflict, "the truck of list {list_no} has departed: the list cannot change"
    )
    LIST_NOT_DEPARTED = ErrorCode(
        Conflict, "list {list_no} has not departed: no handover record yet"
    )
    LIST_NOT_FOUND = ErrorCode(NotFound, "no loading list {list}")
    LIST_NOT_OPEN = ErrorCode(
        Conflict, "open list {list_no} at the door first (scan or type the plate)"
    )
    LOADING_LIST_INVALID = ErrorCode(Unprocessable, "the loading list has {count} problem(s)")
    LOCATION_BEING_COUNTED = ErrorCode(Conflict, "{location} is being counted by {counter}")
    LOCATION_CODE_RESERVED = ErrorCode(
        Unprocessable, "{location}: codes starting {prefix} are parcels, made by packing"
    )
    LOCATION_EMPTY = ErrorCode(Unprocessable, "{location} holds nothing to move")
    LOCATION_FROZEN = ErrorCode(
        Conflict, "location {location} is being counted; it is frozen until the count is in"
    )
    LOCATION_FULL = ErrorCode(Unprocessable, "location {location} has room for {room} more")
    LOCATION_INACTIVE = ErrorCode(Unprocessable, "location {location} is not in use")
    LOCATION_NOT_EMPTY = ErrorCode(
        Conflict, "{location} holds stock: empty it before changing its {what}"
    )
    LOCATION_NOT_FOUND = ErrorCode(NotFound, "no location {location}")
    LOCATION_OTHER_CUSTOMER = ErrorCode(
        Unprocessable,
        "location {location} is assigned to or holds another customer's goods",
        also=(InvalidInput,),
    )
    LOCATION_RESTRICTED = ErrorCode(
        Forbidden, "{location} is a {type} location: only a supervisor moves goods in or out"
    )
    LOCATION_SYSTEM_MANAGED = ErrorCode(
        Unprocessable,
        "{location} is system-managed: only its own flow puts goods in, takes them out or changes it",
    )
    LOGIN_FAILED = ErrorCode(Unauthenticated, "unknown user or wrong PIN")
    LOGIN_INCOMPLETE = ErrorCode(InvalidInput, "give user_code and pin, or badge")
    LOGIN_THROTTLED = ErrorCode(
        TooManyRequests, "too many login attempts; try again in {retry_after} s"
    )
    LOT_AMBIGUOUS = ErrorCode(
        Unprocessable,
        "this item lies here in several lots or for several customers; scan its GS1 label or give the lot and customer",
    )
    LOT_CONFIRMATION_REQUIRED = ErrorCode(
        Unprocessable, "{sku} is tracked by lot: scan its lot label (or choose the lot)"
    )
    LOT_EXPIRED = ErrorCode(Unprocessable, "this lot expired on {expiry}")
    LOT_MISMATCH = ErrorCode(Unprocessable, "lot {scanned} is not the lot expected here")
    LOT_NOT_FOUND = ErrorCode(NotFound, "no stock ever had lot {lot}")
    LOT_NOT_ON_PLAN = ErrorCode(
        Unprocessable, "{sku}: this lot is not on the plan; confirm to record it as over"
    )
    LOT_REQUIRED = ErrorCode(Unprocessable, "this item is tracked by lot: give its lot")
    MALFORMED_JSON = ErrorCode(InvalidInput, "the {what} is not valid JSON")
    MANUAL_KIND_REFUSED = ErrorCode(
        Unprocessable,
        "a {kind} movement happens in its flow, not by hand; corrections are {manual_kinds}",
    )
    METHOD_NOT_ALLOWED = ErrorCode(
        None, http_status=405, template="this route does not take that method", framework=True
    )
    MOVEMENT_SHAPE = ErrorCode(InvalidInput, "a {kind} movement has the wrong locations")
    MOVE_INCOMPLETE = ErrorCode(
        InvalidInput, "give one of: a scanned item with a quantity, an SSCC, or the whole location"
    )
    MOVE_LOCATION_TYPE = ErrorCode(
        Unprocessable,
        "{location} is a {type} location: stock there moves by picking, packing and loading",
    )
    MOVE_SAME_LOCATION = ErrorCode(
        Unprocessable, "{location} is where the goods are already: scan another location"
    )
    NOTHING_TO_COUNT = ErrorCode(Unprocessable, "there is nothing to count there")
    NOTHING_TO_WAVE = ErrorCode(Unprocessable, "no order is released and waiting to be picked")
    NOT_ACCEPTABLE = ErrorCode(
        None,
        http_status=406,
        template="the route cannot answer in the asked format",
        framework=True,
    )
    NOT_AN_INSPECTION_LANE = ErrorCode(Unprocessable, "{location} is not an inspection lane")
    NOT_A_TOTE = ErrorCode(Unprocessable, "{scanned} is not a tote")
    NOT_FOUND = ErrorCode(NotFound, "no such page or API route", framework=True)
    NO_ORDER_OPEN = ErrorCode(
        Unprocessable, "no order is open here: scan a tote, order or waybill number first"
    )
    NO_SITE_CA = ErrorCode(
        NotFound, "this site serves a certificate of its own: no site CA to install"
    )
    ORDER_ALREADY_PACKED = ErrorCode(Conflict, "order {order_no} is packed already")
    ORDER_CANCELLED = ErrorCode(
        Conflict,
        "order {order_no} is cancelled: its goods go back to stock, its label is never printed again",
    )
    ORDER_HELD_BY_CUSTOMS = ErrorCode(
        Conflict,
        "customs holds order {order_no} ({customs_status}): its goods stay until the hold is over",
    )
    ORDER_INSPECTION = ErrorCode(
        Conflict, "customs inspects order {order_no}: take it to inspection"
    )
    ORDER_IN_OTHER_TOTE = ErrorCode(Conflict, "this order is in tote {tote}")
    ORDER_IN_PROGRESS = ErrorCode(
        Conflict, "order {order_no} is {state}; it can no longer be changed"
    )
    ORDER_NOT_ALLOCATABLE = ErrorCode(Conflict, "order {order_no} is {state}: nothing to reserve")
    ORDER_NOT_FOUND = ErrorCode(NotFound, "no order {order}")
    ORDER_NOT_OPEN_HERE = ErrorCode(
        Conflict, "order {order_no} is not the one open at {station} ({open})"
    )
    ORDER_NOT_PICKED = ErrorCode(Conflict, "order {order_no} is not fully picked ({state})")
    ORDER_NOT_RELEASED = ErrorCode(Conflict, "order {order_no} is not released by customs")
    ORDER_NO_TAKEN = ErrorCode(Conflict, "order number {order_no} belongs to another customer")
    ORDER_ON_HOLD = ErrorCode(Conflict, "customs holds order {order_no} ({customs_status})")
    OVERRIDE_NEEDS_SUPERVISOR = ErrorCode(
        Forbidden, "only a supervisor may accept a mismatching arrival"
    )
    PACK_INCOMPLETE = ErrorCode(Unprocessable, "scan every item before weighing")
    PACK_NOT_RELEASED = ErrorCode(Conflict, "order {order_no} is not released by customs (800) yet")
    PARCEL_CANCELLED = ErrorCode(Conflict, "{waybill_no}: the order is cancelled")
    PARCEL_INTERCEPTED = ErrorCode(
        Conflict, "{waybill_no} was held or cancelled after loading: scan it again or remove it"
    )
    PARCEL_NOT_FOUND = ErrorCode(NotFound, "no parcel for {scanned}")
    PARCEL_NOT_ON_LIST = ErrorCode(
        Unprocessable, "{waybill_no} is not on list {list_no}", also=(NotFound,)
    )
    PARCEL_ON_HOLD = ErrorCode(
        Conflict, "{waybill_no}: customs holds it or has not released it (status {customs_status})"
    )
    PARCEL_OTHER_LIST = ErrorCode(
        Unprocessable, "{waybill_no} belongs on list {other_list_no}, not this truck"
    )
    PARCEL_REMOVED = ErrorCode(
        Unprocessable, "{waybill_no} was taken off this list: {removed_reason}"
    )
    PAYLOAD_TOO_LARGE = ErrorCode(
        None, http_status=413, template="the request body is too large", framework=True
    )
    PICK_LOT_EXPIRED = ErrorCode(Unprocessable, "lot {lot} expired on {expiry}: report a shortage")
    PICK_OVER = ErrorCode(Unprocessable, "only {remaining} left to pick on this task")
    PIN_INVALID = ErrorCode(InvalidInput, "a PIN is {pin_min_length} to 12 digits")
    PIN_RESET_NEEDS_ADMIN = ErrorCode(
        Forbidden, "only an admin resets the PIN of {user}, who holds {held}"
    )
    PLAN_BEING_RECEIVED = ErrorCode(Conflict, "plan {plan_no} is being received: it cannot change")
    PLAN_CLOSED = ErrorCode(Conflict, "the receipt is closed")
    PLAN_NOT_ARRIVED = ErrorCode(
        Unprocessable, "nothing has arrived for this plan: check the arrival in at the dock first"
    )
    PLAN_LINE_NOT_FOUND = ErrorCode(NotFound, "plan {plan_no} has no line {line_no}")
    PLAN_NOT_CLOSED = ErrorCode(Conflict, "plan {plan_no} is not closed: no warehouse receipt yet")
    PLAN_NOT_FOUND = ErrorCode(NotFound, "no delivery plan {plan}")
    PLAN_NOT_RELEASED = ErrorCode(Unprocessable, "plan {plan_no} is not released by customs yet")
    PLATE_INVALID = ErrorCode(InvalidInput, "not a valid plate: {problem}")
    PRINTER_DISABLED = ErrorCode(Unprocessable, "printer {printer} is disabled")
    PRINTER_NOT_AT_STATION = ErrorCode(
        Forbidden, "printer {printer} is not driven by station {station}"
    )
    PRINTER_UNKNOWN = ErrorCode(
        NotFound, "no printer {printer} is configured", also=(Unprocessable,)
    )
    PRINT_JOB_NOT_FAILED = ErrorCode(Conflict, "job {job_id} is {status}, not failed")
    PRINT_JOB_NOT_FOUND = ErrorCode(NotFound, "no print job {job_id}")
    PROPOSAL_DECIDED = ErrorCode(Conflict, "this proposal was already {status}")
    PROPOSAL_NOT_FOUND = ErrorCode(NotFound, "no proposal {proposal_id}")
    PUTAWAY_INCOMPLETE = ErrorCode(InvalidInput, "give the scanned item and a quantity, or an SSCC")
    PUTAWAY_LOCATION_TYPE = ErrorCode(
        Unprocessable, "{location} is a {type} location; put away into storage or a pick face"
    )
    PUTAWAY_SOURCE_TYPE = ErrorCode(
        Unprocessable, "{location} is a {type} location; put away from a dock or staging"
    )
    QUANTITY_ABOVE_SCAN_MAX = ErrorCode(
        Unprocessable,
        "{quantity} units in one scan is more than {maximum}: confirm it is not a mistake",
    )
    QUARANTINE_LOCATION_MISSING = ErrorCode(
        Unprocessable, "the quarantine location {quarantine_location} does not exist"
    )
    QUERY_PARAMETER_REPEATED = ErrorCode(
        InvalidInput, "query parameter given more than once: {repeated}"
    )
    REASON_REQUIRED = ErrorCode(InvalidInput, "a reason is needed")
    RECEIPT_OVER = ErrorCode(
        Unprocessable,
        "{sku}: {total} would exceed the {expected} planned; confirm to record it as over",
    )
    RECONCILIATION_NOT_FOUND = ErrorCode(NotFound, "no reconciliation {id}")
    RECONCILIATION_REJECTED = ErrorCode(
        ReconciliationRejected, "{problem_count} problem(s) in the OMS's lines; nothing was stored"
    )
    RETURN_LOCATION_INVALID = ErrorCode(
        Unprocessable, "returns go to storage, a pick face or staging, not {type}"
    )
    ROLE_NOT_ALLOWED = ErrorCode(Forbidden, "your role may not do this")
    ROLE_UNKNOWN = ErrorCode(InvalidInput, "roles must be some of {roles}")
    ROUTE_NOT_CLASSIFIED = ErrorCode(Forbidden, "this route declares no roles")
    SCALE_NOT_AT_STATION = ErrorCode(Forbidden, "scale {scale} is not at station {station}")
    SEAL_MISMATCH = ErrorCode(Unprocessable, "seal {scanned} is not the seal on list {list_no}")
    SEQ_BEYOND_JOURNAL = ErrorCode(
        Unprocessable,
        "the events journal ends at {latest_seq}; there is no stock at {as_of_seq} yet",
    )
    SESSION_EXPIRED = ErrorCode(Unauthenticated, "the session has expired; log in again")
    SESSION_NOT_FOUND = ErrorCode(NotFound, "you have no open session {session}")
    SHELF_LIFE_REQUIRED = ErrorCode(
        InvalidInput, "an expiry-tracked SKU needs its shelf life (shelf_life_days)"
    )
    SHELF_LIFE_TOO_SHORT = ErrorCode(
        Unprocessable, "{days_left} days of shelf life left; the customer requires {minimum}"
    )
    SHIP_ONLY_AT_DEPARTURE = ErrorCode(
        Conflict, "goods leave the ledger only when their truck departs"
    )
    SHORTAGE_NOT_FOUND = ErrorCode(NotFound, "no shortage {shortage_id}")
    SHORTAGE_RESOLVED = ErrorCode(Conflict, "shortage {shortage_id} is settled already")
    SIGNATURE_EXPIRED = ErrorCode(
        Unauthenticated,
        "X-Timestamp is {skew} s from the server's clock (at most {max_skew} s)",
        framework=True,
        handheld=False,
    )
    SIGNATURE_INVALID = ErrorCode(
        Unauthenticated,
        "the OMS signature does not hold: {problem}",
        framework=True,
        handheld=False,
    )
    SIGNATURE_MISSING = ErrorCode(
        Unauthenticated,
        "sign OMS requests: X-Timestamp and X-Signature headers",
        framework=True,
        handheld=False,
    )
    SKU_AMBIGUOUS = ErrorCode(
        Unprocessable, "SKU {sku} exists for more than one customer: name the customer"
    )
    SKU_NOT_FOUND = ErrorCode(NotFound, "no SKU {sku}", also=(Unprocessable,))
    SKU_NOT_ON_PLAN = ErrorCode(
        Unprocessable, "{sku} is not on this plan; confirm to record it as over"
    )
    SKU_OTHER_CUSTOMER = ErrorCode(Unprocessable, "this SKU belongs to another customer")
    SSCC_ALREADY_PUT_AWAY = ErrorCode(Conflict, "carton {sscc} is put away already")
    SSCC_ALREADY_RECEIVED = ErrorCode(Conflict, "carton {sscc} is received already")
    SSCC_COMPANY_PREFIX_MISSING = ErrorCode(
        Unprocessable, "carton labels are off: the site has no GS1 company prefix in its config"
    )
    SSCC_NOT_FOUND = ErrorCode(NotFound, "carton {sscc} was not received here")
    SSCC_NOT_ON_PLAN = ErrorCode(Unprocessable, "carton {sscc} is not on plan {plan_no}")
    SSCC_SERIALS_USED_UP = ErrorCode(
        Conflict, "every SSCC serial reference under company prefix {prefix} is used"
    )
    STATION_HAS_NO_PRINTER = ErrorCode(
        Unprocessable, "pack bench {station} has no printer configured"
    )
    STATION_MISMATCH = ErrorCode(
        Forbidden, "this token belongs to station {token_station}, not {station}"
    )
    STATION_NOT_PACK_BENCH = ErrorCode(Unprocessable, "{station} is not a pack bench")
    STATION_NO_USER = ErrorCode(
        Unprocessable, "nobody is signed in at {station}: scan your badge first"
    )
    STATION_UNKNOWN = ErrorCode(NotFound, "no station {station}")
    STOCK_MOVED_SINCE_COUNT = ErrorCode(
        Conflict, "{sku} at {location} moved after it was counted: count it again"
    )
    STOCK_RESERVED = ErrorCode(
        Unprocessable, "{reserved} of the {on_hand} here are reserved for orders"
    )
    STORAGE_ERROR = ErrorCode(
        None,
        http_status=503,
        template="the server cannot read or write its disk; nothing was changed, try again",
        framework=True,
    )
    SYNC_NOT_STOPPED = ErrorCode(Conflict, "delivery is not stopped")
    SYNC_STOPPED_ELSEWHERE = ErrorCode(
        Conflict, "delivery is stopped at event {stopped_seq}, not {seq}"
    )
    TASK_CLOSED = ErrorCode(Conflict, "task {task_id} is {status}")
    TASK_LEASED = ErrorCode(Conflict, "another handheld is picking this task")
    TASK_NOT_FOUND = ErrorCode(NotFound, "no task {task_id}")
    TIME_OUT_OF_RANGE = ErrorCode(InvalidInput, "{moment} is out of range")
    TOKEN_EXISTS = ErrorCode(Conflict, "a token named {name} exists already")
    TOKEN_KIND_UNKNOWN = ErrorCode(InvalidInput, "token kind is one of {kinds}")
    TOKEN_NOT_FOUND = ErrorCode(NotFound, "no token named {name}")
    TOO_MANY_REQUESTS = ErrorCode(
        TooManyRequests, "too many requests; try again later", framework=True
    )
    TOTE_EMPTY = ErrorCode(Unprocessable, "tote {tote} is empty")
    TOTE_IN_USE = ErrorCode(Conflict, "tote {tote} holds another order")
    TOTE_UNKNOWN = ErrorCode(NotFound, "no tote {scanned}")
    TRACE_KIND_UNKNOWN = ErrorCode(InvalidInput, "cannot trace a {kind}")
    TRACE_VALUE_MISSING = ErrorCode(InvalidInput, "say what to trace")
    UNAUTHENTICATED = ErrorCode(Unauthenticated, "log in first")
    UNKNOWN_FIELD = ErrorCode(InvalidInput, "{problem}", framework=True)
    UNLOCK_NEEDS_ADMIN = ErrorCode(Forbidden, "only an admin unlocks {user}, who holds {held}")
    UNSUPPORTED_MEDIA_TYPE = ErrorCode(
        None, http_status=415, template="send the body as JSON", framework=True
    )
    USER_DISABLED = ErrorCode(Forbidden, "this user is disabled", also=(Unauthenticated,))
    USER_EXISTS = ErrorCode(Conflict, "user {code} exists already")
    USER_LOCKED = ErrorCode(
        Unauthenticated, "too many failed logins; wait, or ask a supervisor to unlock"
    )
    USER_NOT_FOUND = ErrorCode(NotFound, "no user {user}")
    VALIDATION_FAILED = ErrorCode(InvalidInput, "{problem}", framework=True)
    WAVE_NOT_FOUND = ErrorCode(NotFound, "no wave {wave_id}")
    WAYBILL_NOT_CODE128 = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    WAYBILL_TAKEN = ErrorCode(Conflict, "waybill {waybill_no} is already on order {order_no}")
    WAYBILL_TOO_LONG = ErrorCode(Unprocessable, FACE_SHEET, also=(InvalidInput,))
    WAYBILL_UNKNOWN = ErrorCode(NotFound, "no parcel with waybill {scanned}")
    WEIGHT_OUT_OF_RANGE = ErrorCode(Unprocessable, "{weight_g} g is more than the {max} g allowed")
    WEIGHT_OUTSIDE_EXPECTED = ErrorCode(
        Unprocessable,
        "{weight_g} g is outside the expected {min_g}–{max_g} g: weigh again, or confirm to pack",
    )
    WEIGHT_READING_INCOMPLETE = ErrorCode(
        InvalidInput, "a scale reading gives its grams; a scale that is gone gives its state"
    )
    WRONG_ITEM = ErrorCode(Unprocessable, "wrong item: this task is {expected} {sku}")
    WRONG_LOCATION = ErrorCode(Unprocessable, "wrong location: go to {expected}")

    # -- reason codes: named inside the details of another refusal or answer --

    ALREADY_LOADED = ErrorCode(
        None, "{waybill_no} is loaded already (not counted again)", handheld=False
    )
    DUPLICATE_LINE = ErrorCode(None, "line {line} repeats an earlier line")
    LIST_EMPTY = ErrorCode(None, "the loading list has no parcels")
    LIST_EXISTS = ErrorCode(None, "list {list_no} exists")
    LOT_MAY_HOLD_ANOTHER_AI = ErrorCode(
        None, "lot {lot} may hold a date (the scanner sent no separator)"
    )
    ORDER_ALREADY_WAVED = ErrorCode(None, "order {order_no} is in a wave already")
    OTHER_CUSTOMER = ErrorCode(None, "line {line} names another customer")
    PARCELS_MISSING = ErrorCode(None, "{count} parcel(s) of the list are not loaded")
    PARCELS_TO_PULL_OFF = ErrorCode(None, "parcels to take off the truck: {waybills}")
    PARCEL_NOT_PACKED = ErrorCode(None, "{waybill_no}: the order is not packed")
    PLATE_NOT_CONFIRMED = ErrorCode(None, "the truck's plate is not confirmed")
    PRINTER_ERROR = ErrorCode(None, "the printer refused the job")
    PRINTER_UNAVAILABLE = ErrorCode(None, "the printer is away; the job waits for it")
    QUANTITY_NEGATIVE = ErrorCode(None, "line {line}: a quantity cannot be negative")
    SEAL_NOT_CONFIRMED = ErrorCode(None, "the truck's seal is not confirmed")
    WAVE_FULL = ErrorCode(None, "order {order_no} did not fit in the wave")

    # -- refusals of the command line (`bondfloor restore`), never an HTTP answer --

    BACKUP_DAMAGED = ErrorCode(
        None, "{backup} fails the integrity check: {problem}", command_line=True
    )
    BACKUP_FROM_NEWER_VERSION = ErrorCode(
        None, "{backup} has migrations this version does not know: {unknown}", command_line=True
    )
    BACKUP_IS_THE_DATABASE = ErrorCode(
        None, "{backup} is the site database itself", command_line=True
    )
    BACKUP_NOT_FOUND = ErrorCode(None, "{backup} is not a file", command_line=True)
    BACKUP_UNREADABLE = ErrorCode(None, "{backup}: {problem}", command_line=True)
    DATABASE_IN_USE = ErrorCode(
        None,
        "a bondfloor server or command has {target} open; stop it, then restore",
        command_line=True,
    )
    NOT_A_BONDFLOOR_DATABASE = ErrorCode(
        None, "{backup} has no bondfloor migrations", command_line=True
    )
    RESTORE_SSCC_SERIALS_SHORT = ErrorCode(
        None,
        "the SSCC counter under company prefix {prefix} cannot move past the {needed} serials "
        "the time since the backup could have used ({left} left): restored, it would give "
        "SSCCs already on cartons again; set another company prefix from GS1 as "
        "site.gs1_company_prefix, then restore",
        command_line=True,
    )


ERR = ErrorCodes


def every_code() -> Iterator[ErrorCode]:
    for value in vars(ErrorCodes).values():
        if isinstance(value, ErrorCode):
            yield value


def by_code(code: str) -> ErrorCode:
    """The entry of a code that comes as a string (a device library's refusal)."""
    entry = getattr(ErrorCodes, code, None)
    if not isinstance(entry, ErrorCode):
        raise KeyError(code)
    return entry


def _row(entry: ErrorCode) -> str:
    template = entry.template.replace("|", "\\|")
    params = ", ".join(f"`{p}`" for p in entry.params) or "-"
    status = entry.status if entry.status is not None else ""
    if entry.also:
        status = f"{status} (also {', '.join(str(k.status_code) for k in entry.also)})"
    notes = [
        note
        for flag, note in (
            (entry.framework, "answered by the framework"),
            (not entry.handheld, "not shown on a handheld"),
        )
        if flag
    ]
    return f"| `{entry.code}` | {status} | {template} | {params} | {'; '.join(notes)} |"


def render_markdown() -> str:
    """docs/errors.md, from the table: every code a client or an operator can meet."""
    entries = sorted(every_code(), key=lambda e: e.code)
    answers = [e for e in entries if e.status is not None]
    reasons = [e for e in entries if e.status is None and not e.command_line]
    command_line = [e for e in entries if e.command_line]
    header = [
        "| code | status | message (English) | parameters | notes |",
        "| --- | --- | --- | --- | --- |",
    ]
    out = [
        "# Error codes",
        "",
        "<!-- Rendered by `python -m server.error_codes > docs/errors.md`: edit "
        "server/error_codes.py, not this file. -->",
        "",
        "Every refusal answers one JSON shape, "
        '`{"error": {"code": "...", "message": "...", "details": {...}}}`, and changes '
        "nothing. The `code` is stable: a client keys on it (the handheld shows its own zh-CN "
        "or English text for each code, handheld_web/js/error-texts.js). The `message` is the "
        "template below filled from the details and the raise site's parameters; it is for "
        "people and may be reworded. A few codes answer another status at some places "
        "(shown as *also*), kept for clients that rely on it.",
        "",
        f"## Answers ({len(answers)})",
        "",
        *header,
        *(_row(e) for e in answers),
        "",
        f"## Reason codes ({len(reasons)})",
        "",
        "Named inside the details of another answer: a departure's `reasons`, a wave's "
        "`skipped` orders, an import's `problems`, a scan's warning.",
        "",
        *header,
        *(_row(e) for e in reasons),
        "",
        f"## Command line ({len(command_line)})",
        "",
        "Refusals of `bondfloor restore`, printed as `CODE: message`; nothing was changed.",
        "",
        *header,
        *(_row(e) for e in command_line),
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
