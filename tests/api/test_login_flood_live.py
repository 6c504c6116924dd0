"""The login flood of the finding, against a real `bondfloor serve` on loopback.

The attacker and the floor come from different loopback addresses (127.0.0.2 and
127.0.0.1), so the server's own view of the client address is what is throttled.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.live_server import BONDFLOOR, running_server

PIN = "2468"
ATTACKER = "127.0.0.2"


def client(base_url: str, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=base_url, transport=transport, timeout=30, trust_env=False)


def test_a_flood_of_bad_logins_from_one_address_leaves_the_floor_and_managers_working(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path, "login flood", demo=False) as server:
        for code, role in (("boss", "supervisor"), ("pk1", "picker")):
            subprocess.run(
                [
                    *(str(BONDFLOOR), "--config", str(server.config), "user", "add", code),
                    *("--name", code, "--role", role, "--pin", PIN),
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
        with client(server.base_url, ATTACKER) as attacker:

            def bad_login(n: int) -> httpx.Response:
                code = ("boss", "pk1")[n % 2]
                return attacker.post("/api/v1/auth/login", json={"user_code": code, "pin": "0000"})

            with ThreadPoolExecutor(max_workers=32) as pool:
                answers = list(pool.map(bad_login, range(64)))
        codes = Counter(a.json()["error"]["code"] for a in answers)
        # A few reached a PIN check; the rest were turned away at once, told when to retry.
        assert set(codes) == {"LOGIN_FAILED", "LOGIN_THROTTLED"}
        # The free failures (concurrent ones count as they go), and one more should the flood
        # outlast the first delay.
        assert codes["LOGIN_FAILED"] <= 3 + 1
        assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
        with client(server.base_url, "127.0.0.1") as floor:
            assert floor.get("/health").status_code == 200
            for code in ("boss", "pk1"):  # nobody was locked out: at most a short wait
                answer = floor.post("/api/v1/auth/login", json={"user_code": code, "pin": PIN})
                if answer.status_code == 429:
                    assert int(answer.headers["Retry-After"]) <= 4, answer.text
                    time.sleep(int(answer.headers["Retry-After"]))
                    answer = floor.post("/api/v1/auth/login", json={"user_code": code, "pin": PIN})
                assert answer.status_code == 201, answer.text
