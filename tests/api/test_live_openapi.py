"""A schemathesis run, with every check it has, against a real `bondfloor serve`.

The server runs as a process on loopback with the demo site. schemathesis reads the
OpenAPI document from it over HTTP, as any client would, logs in through the login route
(as the demo admin, then as the demo picker) and runs its phases: coverage (boundary
values, missing required parts, undeclared methods), fuzzing (valid and invalid data)
and stateful (chains of calls through the links it infers). Every answer is held to all
its checks: no server error; documented status, content type, headers and body; valid
data accepted, invalid data refused; a missing required header refused; auth not
ignored; undeclared methods answered 405 with an exact `Allow`; a deleted resource gone.

Bounded so that CI sees the same cases every time in about a minute: a fixed seed,
derandomized generation, no example database, a few examples per operation.

Adjustments, each about something a schema cannot say:
- An `Idempotency-Key` the generator made valid is replaced by a fresh unique one: the
  schema can say what a key looks like, not that it must never have been used (a reused
  key is the coded 409 IDEMPOTENCY_KEY_REUSED). Invalid or missing keys are sent as made.
- Whole numbers are sent as `2`, never `2.0`: JSON Schema 2020-12 (OpenAPI 3.1) calls 2.0
  an integer and has no way to say "no fraction part", while the server takes a count
  of units only as an integer (2.5 is refused either way).
- Valid data may be refused with 422, the answer for a well-formed request the warehouse
  rules refuse (an unknown SKU, an order in the wrong state): it depends on the site's
  state, not on the request's shape.
- Valid data may be refused with a coded 400 of a rule beyond any schema (a GTIN check
  digit, a scan that is only unprintable characters, a customs status that is not on the
  customs list, "user and PIN, or badge"), but never with the codes of the schema level
  (VALIDATION_FAILED, UNKNOWN_FIELD, MALFORMED_JSON): that would mean the document
  promises a shape the server does not take (the `schema_level_refusal` check below).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from server.demo import DEMO_PIN
from server.openapi_doc import key_is_documented_valid
from tests.live_server import running_server

SEED = 20_261_206
EXAMPLES = 5
USERS = {"admin": "admin", "picker": "pick01"}  # demo users (server/demo.py)
SHOWN_PER_OPERATION = 2
SCHEMA_LEVEL_CODES = frozenset({"VALIDATION_FAILED", "UNKNOWN_FIELD", "MALFORMED_JSON"})

# The hooks and the check below are registered for every schemathesis run in the process;
# they act only on runs against a live server of this module.
_LIVE_URLS: set[str] = set()
_KEYS = itertools.count(1)
_APPLIED: Counter[str] = Counter()  # what the hook and the check did, so a run proves it


def _ours(case: Any) -> bool:
    return any((case.operation.base_url or "").startswith(url) for url in _LIVE_URLS)


def run_config(user: str) -> dict[str, Any]:
    return {
        "seed": SEED,
        "cache": {"enabled": False},  # nothing written into the checkout (.schemathesis/)
        "generation": {"deterministic": True, "database": "none", "max-examples": EXAMPLES},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]
            },
        },
        "auth": {
            # Log in through the login route, and again when a session ends (logout).
            "auto-signup": False,
            "dynamic": {
                "openapi": {
                    "bearer": {
                        "path": "/api/v1/auth/login",
                        "payload": {"user_code": user, "pin": DEMO_PIN},
                        "extract_selector": "/token",
                    }
                }
            },
        },
    }


@schemathesis.hook
def before_call(_context: Any, case: Any, _kwargs: dict[str, Any]) -> None:
    if not _ours(case):
        return
    if case.headers and key_is_documented_valid(str(case.headers.get("Idempotency-Key", ""))):
        case.headers["Idempotency-Key"] = f"live-{next(_KEYS)}"
        _APPLIED["fresh key"] += 1
    if isinstance(case.body, dict | list):
        case.body = _whole_floats_as_ints(case.body)


@schemathesis.check
def schema_level_refusal(_ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request is never refused for its shape (see the module docstring)."""
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if not (_ours(case) and positive and response.status_code == 400):
        return None
    _APPLIED["refusal checked"] += 1
    code = response.json().get("error", {}).get("code")
    if code == "MALFORMED_JSON" and not _is_json(response.request.body):
        return True  # an import file sent as CSV while `format` says json: the file is wrong
    if code in SCHEMA_LEVEL_CODES:
        raise AssertionError(f"a schema-valid request was refused with {code}")
    return True


def _is_json(body: bytes | str | None) -> bool:
    try:
        json.loads(body or b"")
    except ValueError:
        return False
    return True


def _whole_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, list):
        return [_whole_floats_as_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole_floats_as_ints(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class LiveSite:
    base_url: str


@pytest.fixture
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    # A fresh site per run: the admin's run may disable or re-PIN the demo users it finds
    # in the typed user list, and the picker's run must still be able to log in.
    folder: Path = tmp_path_factory.mktemp("live-openapi")
    # The run logs in again after each logout and sends the login route wrong PINs from
    # one address: the throttle and the session cap are tested elsewhere
    # (tests/api/test_login_throttling.py, test_sessions.py), not here.
    throttle_off = (
        "[auth]\nmax_sessions_per_user = 100000\nlogin_free_failures = 100000\n"
        "max_failed_logins = 100000\n"
    )
    with running_server(folder, "LIVE", throttle_off) as server:
        _LIVE_URLS.add(server.base_url)
        try:
            yield LiveSite(server.base_url)
        finally:
            _LIVE_URLS.discard(server.base_url)


def _failures_of(event: events.ScenarioFinished) -> Iterator[str]:
    recorder = event.recorder
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            failure = check.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            sent = answer = ""
            if interaction is not None:
                sent = f"{interaction.request.method} {interaction.request.uri[:300]}"
                if interaction.response is not None:
                    body = (interaction.response.content or b"")[:300].decode(errors="replace")
                    answer = f"-> {interaction.response.status_code} {body}"
            yield f"  - {check.name}: {failure.title}: {failure.message[:400]}\n    {sent} {answer}"


@pytest.mark.parametrize("role", sorted(USERS))
def test_live_server_passes_a_schemathesis_run_with_every_check(live: LiveSite, role: str) -> None:
    _APPLIED.clear()
    config = SchemathesisConfig.from_dict(run_config(USERS[role]))
    schema = schemathesis.openapi.from_url(f"{live.base_url}/schema/openapi.json", config=config)
    failures: dict[str, list[str]] = {}
    errors: list[str] = []
    answers: Counter[int] = Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            answers.update(
                i.response.status_code // 100
                for i in event.recorder.interactions.values()
                if i.response is not None
            )
            for line in _failures_of(event):
                seen = failures.setdefault(str(event.label), [])
                if len(seen) < SHOWN_PER_OPERATION and line not in seen:
                    seen.append(line)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()[:600]}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            assert event.stop_reason.skip_explanation is None, event.stop_reason
    shown = "\n".join(f"{label}:\n" + "\n".join(lines) for label, lines in failures.items())
    assert not errors, "schemathesis could not test:\n" + "\n".join(errors)
    assert not failures, f"{len(failures)} operations failed as {role}:\n{shown}"
    # The run reached the API as a logged-in user, not only its login and guard.
    assert answers.total() > 2000 and answers[2] > 100, answers
    assert _APPLIED["fresh key"] > 100 and _APPLIED["refusal checked"] > 10, _APPLIED
