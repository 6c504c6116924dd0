"""A pseudo-terminal standing in for a scanner's serial port, and a polling wait."""

from __future__ import annotations

import os
import pty
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Pty:
    """A pseudo-terminal standing in for a scanner's serial port, behind a stable path."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.controller, self.device = pty.openpty()
        link.unlink(missing_ok=True)
        link.symlink_to(os.ttyname(self.device))

    def send(self, data: bytes) -> None:
        os.write(self.controller, data)

    def unplug(self) -> None:
        os.close(self.controller)
        os.close(self.device)
        self.link.unlink()


def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.02)
    raise AssertionError(f"not true within {timeout} s")
