"""The API fuzz run of tests/api/test_fuzz_openapi.py as a picker (the least privileged
floor role), on its own site: a module of its own so that it runs beside the admin's run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_fuzz_openapi import FuzzSite, _check_call, fuzz_site, schema

__all__ = ["fuzz_site"]  # the module's site fixture, shared with the admin's run


# A parameter, as in the admin's module: it gives each operation's item its own id (without
# one, every item of this module would share a single id, and pytest-xdist would run one).
@pytest.fixture(scope="module", params=("picker",))
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@schema.parametrize()
def test_api_holds_the_error_rules_under_fuzz_as_a_picker(
    case: Any, fuzz_site: FuzzSite, role: str
) -> None:
    _check_call(case, fuzz_site, role)
