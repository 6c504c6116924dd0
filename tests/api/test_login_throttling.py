"""A login flood neither guesses PINs, nor locks out the managers, nor slows the floor.

Addresses other than the in-process client's ("testclient") are tried through the
service, which takes the client address as a value.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.auth import service
from server.auth.throttle import AddressThrottle, LoginGate, PinCheckPool, delay_after
from server.clock import ManualClock
from server.config import AuthSettings
from server.errors import DomainError, TooManyRequests
from tests.conftest import PIN, Api, add_user
from tests.outbound.helpers import put_stock, seed_outbound


def login(api: Api, **body: str) -> Any:
    return api.client.post("/api/v1/auth/login", json=body, headers={"X-Device": "hh-01"})


def try_login(api: Api, code: str, pin: str, address: str) -> str:
    """The outcome of one login from `address`: "ok" or the refusal's code."""
    attempt = service.LoginAttempt(device="hh", address=address, user_code=code, pin=pin)
    try:
        service.login(api.db, api.settings.auth, api.client.app.state.login_gate, attempt)
    except DomainError as err:
        return err.code
    return "ok"


def user_row(api: Api, code: str) -> Any:
    return api.db.read(
        lambda conn: conn.execute("SELECT * FROM users WHERE code = ?", (code,)).fetchone()
    )


def login_audit(api: Api) -> list[Any]:
    return api.db.read(
        lambda conn: conn.execute(
            "SELECT * FROM audit WHERE action = 'login' ORDER BY id"
        ).fetchall()
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the delays ---------------------------------------------------------------------------


def test_delays_begin_after_the_free_failures_double_and_stop_at_the_longest() -> None:
    settings = AuthSettings(
        login_free_failures=3, login_delay_seconds=2, login_max_delay_seconds=30
    )
    assert [delay_after(n, settings) for n in range(9)] == [0, 0, 0, 2, 4, 8, 16, 30, 30]
    assert delay_after(10_000, settings) == 30


def test_an_address_waits_longer_after_each_failure_and_a_success_clears_it() -> None:
    settings = AuthSettings(login_free_failures=2, login_delay_seconds=1)
    clock = FakeClock()
    throttle = AddressThrottle(clock)
    for _ in range(2):
        assert throttle.retry_after("10.0.0.66", settings) == 0
        throttle.failed("10.0.0.66", settings)
    assert throttle.retry_after("10.0.0.66", settings) == 1
    assert throttle.retry_after("10.0.0.7", settings) == 0  # another address is not touched
    clock.now += 1
    assert throttle.retry_after("10.0.0.66", settings) == 0
    assert throttle.failed("10.0.0.66", settings) == (3, 1)  # one try was refused meanwhile
    assert throttle.retry_after("10.0.0.66", settings) == 2
    assert throttle.succeeded("10.0.0.66") == 1
    assert throttle.retry_after("10.0.0.66", settings) == 0


def test_the_pin_check_pool_refuses_beyond_its_workers_and_queue() -> None:
    pool = PinCheckPool(workers=1, queue=1)
    with pool.slot():
        holder = threading.Event()
        release = threading.Event()

        def wait_in_queue() -> None:
            with pool.slot():
                holder.set()
                release.wait(5)

        queued = threading.Thread(target=wait_in_queue)
        queued.start()
        deadline = time.monotonic() + 5
        while pool._admitted < 2:  # the queued check is admitted and waits for the slot
            assert time.monotonic() < deadline, "the second check was never admitted"
            time.sleep(0.005)
        with pytest.raises(TooManyRequests) as refused, pool.slot():
            pass
        assert refused.value.code == "LOGIN_THROTTLED" and refused.value.retry_after >= 1
    assert holder.wait(5)
    release.set()
    queued.join(5)
    assert pool.most_running == 1


# -- over HTTP ----------------------------------------------------------------------------


def test_an_address_that_keeps_failing_gets_429_with_retry_after_and_no_pin_check(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(api.db, api.settings, "rx1", ["receiver"])
    checks: list[str] = []
    real_verify = service.verify_pin

    def counting_verify(pin: str, stored: str) -> bool:
        checks.append(pin)
        return real_verify(pin, stored)

    monkeypatch.setattr(service, "verify_pin", counting_verify)
    free = api.settings.auth.login_free_failures
    for _ in range(free):
        assert login(api, user_code="rx1", pin="0000").json()["error"]["code"] == "LOGIN_FAILED"
    for _ in range(5):
        throttled = login(api, user_code="rx1", pin=PIN)  # even the right PIN waits
        assert throttled.status_code == 429
        assert throttled.json()["error"]["code"] == "LOGIN_THROTTLED"
        assert int(throttled.headers["Retry-After"]) >= 1
    assert len(checks) == free  # a throttled attempt costs no scrypt hash
    assert len(login_audit(api)) == free  # ... and no audit line of its own


def test_throttled_attempts_are_audited_once_per_burst_as_a_count(
    api: Api, site_clock: ManualClock
) -> None:
    clock = FakeClock()
    api.client.app.state.login_gate = LoginGate.for_settings(api.settings.auth, clock)
    add_user(api.db, api.settings, "rx2", ["receiver"])
    for _ in range(3):
        login(api, user_code="rx2", pin="0000")
    for _ in range(10):
        assert login(api, user_code="rx2", pin="0000").status_code == 429
    clock.now += 60
    site_clock.advance(seconds=60)
    assert login(api, user_code="rx2", pin="0000").json()["error"]["code"] == "LOGIN_FAILED"
    lines = login_audit(api)
    assert len(lines) == 4
    assert '"throttled_meanwhile":10' in lines[-1]["details"]


def test_one_address_cannot_lock_out_the_managers_or_the_floor(api: Api) -> None:
    users = {"sup9": "supervisor", "adm9": "admin", "pk9": "picker"}
    for code, role in users.items():
        add_user(api.db, api.settings, code, [role])
    outcomes: Counter[str] = Counter()
    for _ in range(20):  # the attack of the finding: wrong PINs for everyone, as fast as it can
        for code in users:
            outcomes[try_login(api, code, "0000", "10.0.0.66")] += 1
    free = api.settings.auth.login_free_failures
    assert outcomes == {"LOGIN_FAILED": free, "LOGIN_THROTTLED": 60 - free}
    for code in users:
        assert user_row(api, code)["locked_until"] is None
        assert try_login(api, code, PIN, f"10.0.0.{len(code)}") == "ok"


def test_a_user_locked_from_elsewhere_still_logs_in_on_their_own_handheld(
    api: Api, site_clock: ManualClock
) -> None:
    add_user(api.db, api.settings, "sup8", ["supervisor"])
    assert try_login(api, "sup8", PIN, "10.0.0.7") == "ok"  # the supervisor's handheld
    for n in range(api.settings.auth.max_failed_logins):  # from many addresses
        assert try_login(api, "sup8", "0000", f"10.0.1.{n}") == "LOGIN_FAILED"
        site_clock.advance(seconds=600)  # the user's own delay passes
    assert user_row(api, "sup8")["locked_until"] is not None
    assert try_login(api, "sup8", PIN, "10.0.2.1") == "USER_LOCKED"
    assert try_login(api, "sup8", PIN, "10.0.0.7") == "ok"


def test_a_lock_expires(api: Api, site_clock: ManualClock) -> None:
    api.settings.auth.login_free_failures = 100  # no delays: this is about the lock
    add_user(api.db, api.settings, "rx3", ["receiver"])
    for _ in range(api.settings.auth.max_failed_logins):
        login(api, user_code="rx3", pin="0000")
    locked = login(api, user_code="rx3", pin=PIN).json()["error"]
    assert locked["code"] == "USER_LOCKED"
    assert 0 < locked["details"]["retry_after"] <= api.settings.auth.lockout_minutes * 60
    site_clock.advance(minutes=api.settings.auth.lockout_minutes, seconds=1)
    # After the lock, one more mistake does not lock again at once: the count starts over.
    assert login(api, user_code="rx3", pin="0000").json()["error"]["code"] == "LOGIN_FAILED"
    assert login(api, user_code="rx3", pin=PIN).status_code == 201


def lock(api: Api, code: str) -> None:
    until = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
    api.db._write(
        lambda conn: conn.execute(
            "UPDATE users SET failed_logins = 5, locked_until = ? WHERE code = ?", (until, code)
        )
    )


def test_a_supervisor_unlocks_floor_users_and_only_an_admin_unlocks_managers(api: Api) -> None:
    add_user(api.db, api.settings, "pk4", ["picker"])
    add_user(api.db, api.settings, "sup4", ["supervisor"])
    lock(api, "pk4")
    lock(api, "sup4")
    assert login(api, user_code="pk4", pin=PIN).json()["error"]["code"] == "USER_LOCKED"
    unlocked = api.post("/api/v1/users/pk4/unlock", role="supervisor")
    assert unlocked.status_code == 200, unlocked.text
    assert login(api, user_code="pk4", pin=PIN).status_code == 201
    refused = api.post("/api/v1/users/sup4/unlock", role="supervisor")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "UNLOCK_NEEDS_ADMIN")
    assert api.post("/api/v1/users/sup4/unlock", role="admin").status_code == 200
    assert login(api, user_code="sup4", pin=PIN).status_code == 201
    assert api.post("/api/v1/users/ghost/unlock", role="admin").status_code == 404


# -- a flood of logins does not starve the floor ------------------------------------------


def test_a_login_flood_is_bounded_and_health_and_a_stock_write_are_served_meanwhile(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_outbound(api)  # also logs the supervisor in, before the PIN checks are held
    api.settings.auth.login_free_failures = 1000  # one test address: this is about the pool
    add_user(api.db, api.settings, "rx6", ["receiver"])
    gate = api.client.app.state.login_gate
    release = threading.Event()
    real_verify = service.verify_pin

    def held_verify(pin: str, stored: str) -> bool:
        release.wait(20)  # the PIN check holds its slot until the test has looked
        return real_verify(pin, stored)

    monkeypatch.setattr(service, "verify_pin", held_verify)
    flood = 32
    answers: list[Any] = []

    def bad_login() -> None:
        answers.append(login(api, user_code="rx6", pin="0000"))

    threads = [threading.Thread(target=bad_login) for _ in range(flood)]
    for thread in threads:
        thread.start()
    admitted = gate.pin_checks.workers + gate.pin_checks.queue
    deadline = time.monotonic() + 20
    while len(answers) < flood - admitted and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        # Every PIN check is taken and the queue is full: the floor is served all the same.
        assert api.client.get("/health").status_code == 200
        put_stock(api, "A-1", "S1", 5)
    finally:
        release.set()
        for thread in threads:
            thread.join(20)
    codes = Counter(a.json()["error"]["code"] for a in answers)
    assert codes == {"LOGIN_THROTTLED": flood - admitted, "LOGIN_FAILED": admitted}
    assert all(a.headers["Retry-After"] for a in answers if a.status_code == 429)
    assert gate.pin_checks.most_running == api.settings.auth.pin_hash_workers == 1
    denied = [line for line in login_audit(api) if line["outcome"] == "denied"]
    assert len(denied) == admitted  # one audit line per PIN actually checked


def test_an_address_gets_its_free_failures_back_only_after_a_long_quiet() -> None:
    settings = AuthSettings()
    clock = FakeClock()
    throttle = AddressThrottle(clock)
    for _ in range(settings.login_free_failures + 1):
        throttle.failed("10.0.0.66", settings)
    clock.now += settings.login_max_delay_seconds * 2  # a burst, a wait, a burst: no
    throttle.failed("10.0.0.66", settings)
    assert throttle.retry_after("10.0.0.66", settings) > 0
    clock.now += 25 * 3600
    throttle.failed("10.0.0.7", settings)  # any failure sweeps the long-quiet addresses
    assert throttle.retry_after("10.0.0.66", settings) == 0


def test_a_burst_of_concurrent_attempts_from_one_address_gets_no_more_free_tries() -> None:
    settings = AuthSettings(login_free_failures=3)
    throttle = AddressThrottle(FakeClock())
    with (
        throttle.admit("10.0.0.66", settings),
        throttle.admit("10.0.0.66", settings),
        throttle.admit("10.0.0.66", settings),
    ):
        # Three attempts are being decided: a fourth would be a fourth free try.
        with pytest.raises(TooManyRequests), throttle.admit("10.0.0.66", settings):
            pass
        assert throttle.retry_after("10.0.0.7", settings) == 0
