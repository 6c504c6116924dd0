"""schemathesis, with every check it has, against a real `bondfloor serve`.

The server runs as a process on loopback with the demo site; the OpenAPI document is
read from it over HTTP, as any client would. For each operation schemathesis generates
schema-valid and schema-invalid requests, sends them as the demo admin and as the demo
picker, and holds every answer to all its checks: no server error, documented status,
content type, headers and body, valid data accepted, invalid data refused, a missing
required header refused, auth not ignored, undeclared methods answered 405 with `Allow`.

Bounded so that CI sees the same cases every time in about a minute: a fixed seed,
derandomized generation, no example database, a few examples per operation and mode.

Adjustments, each about something a schema cannot say:
- An `Idempotency-Key` the generator made valid is replaced by a fresh unique one: the
  schema can say what a key looks like, not that it must never have been used (a reused
  key is the coded 409 IDEMPOTENCY_KEY_REUSED). Invalid or missing keys are sent as made.
- Whole numbers are sent as `2`, never `2.0`: JSON Schema 2020-12 (OpenAPI 3.1) calls 2.0
  an integer and has no way to say "no fraction part", while the server's decoder takes
  a count of units only as an integer (2.5 stays a refused value either way).
- Valid data may be refused with 422, the answer for a well-formed request the warehouse
  rules refuse (an unknown SKU, an order in the wrong state): it depends on the site's
  state, not on the request's shape.
- Valid data may be refused with a coded 400 of a rule beyond any schema (a GTIN check
  digit, a scan that is only unprintable characters, a customs status code that is not on
  the customs list, "user and PIN, or badge"), but never with the codes of the schema
  level (VALIDATION_FAILED, UNKNOWN_FIELD, MALFORMED_JSON): that would mean the document
  promises a shape the server does not take (`schema_level_refusal` below).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from server.demo import DEMO_PIN
from server.openapi_doc import key_is_documented_valid
from tests.live_server import running_server

SEED = 20_261_206
EXAMPLES = int(os.environ.get("BONDFLOOR_LIVE_FUZZ_EXAMPLES", "6"))
USERS = {"admin": "admin", "picker": "pick01"}  # demo users (server/demo.py)
SHOWN_PER_OPERATION = 2

CONFIG = {
    "seed": SEED,
    "generation": {"deterministic": True, "database": "none", "max-examples": EXAMPLES},
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]
        },
    },
}


@dataclass
class LiveSite:
    base_url: str
    session: requests.Session
    tokens: dict[str, str] = field(default_factory=dict)
    keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def login(self, role: str) -> str:
        answer = self.session.post(
            f"{self.base_url}/api/v1/auth/login",
            json={"user_code": USERS[role], "pin": DEMO_PIN},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    folder: Path = tmp_path_factory.mktemp("live-openapi")
    with running_server(folder, "LIVE") as server, requests.Session() as session:
        site = LiveSite(server.base_url, session)
        site.tokens = {role: site.login(role) for role in USERS}
        yield site


def _headers_for(case: Any, site: LiveSite, role: str) -> dict[str, str]:
    token = site.tokens[role]
    if case.method.upper() == "POST" and case.path == "/api/v1/auth/logout":
        token = site.login(role)  # logging out must not end the session the run uses
    if case.headers and key_is_documented_valid(str(case.headers.get("Idempotency-Key", ""))):
        case.headers["Idempotency-Key"] = f"live-{role}-{next(site.keys)}"
    if isinstance(case.body, dict | list):
        case.body = _whole_floats_as_ints(case.body)
    return {"Authorization": f"Bearer {token}", "X-Device": f"live-{role}"}


SCHEMA_LEVEL_CODES = frozenset({"VALIDATION_FAILED", "UNKNOWN_FIELD", "MALFORMED_JSON"})


@schemathesis.check
def schema_level_refusal(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request is never refused for its shape (see the module docstring)."""
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if not positive or response.status_code != 400:
        return None
    code = response.json().get("error", {}).get("code")
    if code == "MALFORMED_JSON" and not _is_json(response.request.body):
        return True  # an import file sent as CSV while `format` says json: the file is wrong
    if code in SCHEMA_LEVEL_CODES:
        raise AssertionError(f"a schema-valid request was refused with {code}: {response.text}")
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


def _report(case: Any, role: str, response: Any, failure: BaseException) -> str:
    parts = failure.exceptions if isinstance(failure, BaseExceptionGroup) else [failure]
    lines = [
        f"{case.method.upper()} {case.path} as {role} -> {response.status_code}"
        f" {response.text[:300]}"
    ]
    for part in parts:
        title = getattr(part, "title", type(part).__name__)
        message = getattr(part, "message", str(part))
        lines.append(f"  - {title}: {message[:600]}")
    lines.append(f"    reproduce: {case.as_curl_command()[:600]}")
    return "\n".join(lines)


@pytest.mark.parametrize("role", sorted(USERS))
def test_live_server_passes_every_schemathesis_check(live: LiveSite, role: str) -> None:
    schema = schemathesis.openapi.from_url(
        f"{live.base_url}/schema/openapi.json", config=SchemathesisConfig.from_dict(CONFIG)
    )
    failures: dict[str, list[str]] = {}

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            def run(case: Any) -> None:
                headers = _headers_for(case, live, role)
                sent = {"base_url": live.base_url, "session": live.session, "headers": headers}
                response = case.call(**sent, timeout=30)
                try:
                    case.validate_response(response, headers=headers, transport_kwargs=sent)
                except (AssertionError, BaseExceptionGroup) as failure:
                    seen = failures.setdefault(case.operation.label, [])
                    if len(seen) < SHOWN_PER_OPERATION:
                        seen.append(_report(case, role, response, failure))

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE, operation.label
                # Nothing in this operation can be made invalid (no parameters, no body).

    shown = "\n".join(line for lines in failures.values() for line in lines)
    assert not failures, f"{len(failures)} operations failed schemathesis checks:\n{shown}"
