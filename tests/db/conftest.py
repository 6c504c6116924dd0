"""The database's own tests run every migration for real on every new file."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/db/" in item.path.as_posix():
            item.add_marker(pytest.mark.real_migrations)
