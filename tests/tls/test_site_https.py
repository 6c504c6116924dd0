"""HTTPS on a site, with real processes: `bondfloor tls init` makes the site CA and a
certificate for the configured names and addresses, `bondfloor serve` answers HTTPS that
the site CA verifies, its plain HTTP port only redirects and gives out the CA, and the
certificate's end shows in /health and raises an alert."""

from __future__ import annotations

import http.client
import ipaddress
import json
import sqlite3
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from playwright.sync_api import Playwright

from tests.live_server import BONDFLOOR, free_port, stop_server

NAMES = ["localhost", "wms.site.lan"]
ADDRESSES = ["127.0.0.1", "192.0.2.10"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def plain_get(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request, redirects not followed."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    try:
        with opener.open(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def write_config(folder: Path, port: int, redirect_port: int, extra: str = "") -> Path:
    config = folder / "site.toml"
    config.write_text(
        f'[database]\npath = "{folder / "site.db"}"\n'
        f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
        f"[alerts]\ncheck_seconds = 0.5\n"
        f"[tls]\nnames = {json.dumps(NAMES)}\naddresses = {json.dumps(ADDRESSES)}\n"
        f"redirect_port = {redirect_port}\n" + extra,
        encoding="utf-8",
    )
    return config


def bondfloor(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BONDFLOOR), "--config", str(config), *args],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass(frozen=True)
class HttpsSite:
    folder: Path
    config: Path
    port: int
    redirect_port: int
    ca_file: Path
    context: ssl.SSLContext

    def get(self, path: str) -> bytes:
        url = f"https://localhost:{self.port}{path}"
        with urllib.request.urlopen(url, context=self.context, timeout=5) as answer:
            return bytes(answer.read())


@pytest.fixture(scope="module")
def https_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsSite]:
    """`bondfloor serve` with a certificate from `tls init` that ends in 10 days."""
    folder = tmp_path_factory.mktemp("https-site")
    port, redirect_port = free_port(), free_port()
    config = write_config(folder, port, redirect_port)
    made = bondfloor(config, "tls", "init", "--days", "10")
    assert made.returncode == 0, made.stderr
    ca_file = folder / "var" / "tls" / "ca.crt"
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BONDFLOOR), "--config", str(config), "serve"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    context = ssl.create_default_context(cafile=str(ca_file))
    site = HttpsSite(folder, config, port, redirect_port, ca_file, context)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                site.get("/health")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"no HTTPS answer:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield site
    finally:
        stop_server(proc)


def test_tls_init_makes_a_site_ca_and_a_certificate_for_the_configured_names_and_addresses(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, free_port(), free_port())
    first = bondfloor(config, "tls", "init")
    assert first.returncode == 0, first.stderr
    tls = tmp_path / "var" / "tls"
    ca = x509.load_pem_x509_certificate((tls / "ca.crt").read_bytes())
    cert = x509.load_pem_x509_certificates((tls / "server.crt").read_bytes())[0]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == NAMES
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(a) for a in ADDRESSES]
    cert.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (tls / "ca.key").stat().st_mode & 0o777 == 0o600
    assert (tls / "server.key").stat().st_mode & 0o777 == 0o600
    # Run again (new names, a renewal): handhelds keep trusting the same CA.
    again = bondfloor(config, "tls", "init")
    assert "kept" in again.stdout
    renewed = x509.load_pem_x509_certificates((tls / "server.crt").read_bytes())[0]
    assert x509.load_pem_x509_certificate((tls / "ca.crt").read_bytes()) == ca
    assert renewed.serial_number != cert.serial_number
    renewed.verify_directly_issued_by(ca)


def test_serve_answers_https_that_the_site_ca_verifies_and_nothing_else_does(
    https_site: HttpsSite,
) -> None:
    health = json.loads(https_site.get("/health"))
    assert health["status"] == "ok"
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(
            f"https://localhost:{https_site.port}/health",
            context=ssl.create_default_context(),
            timeout=5,
        )
    # Plain HTTP on the HTTPS port is no way in either.
    with pytest.raises((OSError, http.client.HTTPException)):
        urllib.request.urlopen(f"http://127.0.0.1:{https_site.port}/health", timeout=5).read()


def test_the_plain_http_port_only_redirects_and_gives_out_the_site_ca(
    https_site: HttpsSite,
) -> None:
    plain = f"http://127.0.0.1:{https_site.redirect_port}"
    status, headers, _ = plain_get(f"{plain}/stock.html?x=1")
    assert (status, headers["location"]) == (
        301,
        f"https://127.0.0.1:{https_site.port}/stock.html?x=1",
    )
    # A login sent to plain HTTP is turned back before its body is read: 308, not an answer.
    status, headers, body = plain_get(f"{plain}/api/v1/auth/login", method="POST")
    assert status == 308 and body == b""
    assert headers["location"] == f"https://127.0.0.1:{https_site.port}/api/v1/auth/login"
    status, headers, body = plain_get(f"{plain}/ca.crt")
    assert status == 200 and body == https_site.ca_file.read_bytes()
    assert headers["content-type"] == "application/x-x509-ca-cert"
    status, _, page = plain_get(f"{plain}/ca.html")
    assert status == 200 and b'src="js/ca.js"' in page
    status, _, info = plain_get(f"{plain}/api/v1/tls/ca")
    ca_page = json.loads(info)
    assert ca_page["download_url"] == f"{plain}/ca.crt"
    assert ca_page["site_url"] == f"https://127.0.0.1:{https_site.port}/"
    from server.tls.service import ca_fingerprint

    assert ca_page["fingerprint_sha256"] == ca_fingerprint(https_site.ca_file.read_bytes())
    status, headers, svg = plain_get(f"{plain}/ca-qr.svg")
    assert status == 200 and svg.startswith(b"<?xml") and b"<path" in svg
    # The HTTPS app gives the same CA and points the QR code at the plain port.
    assert https_site.get("/ca.crt") == https_site.ca_file.read_bytes()
    over_https = json.loads(https_site.get("/api/v1/tls/ca"))
    assert over_https["download_url"] == f"http://localhost:{https_site.redirect_port}/ca.crt"


def test_certificate_expiry_shows_in_health_and_raises_an_alert(https_site: HttpsSite) -> None:
    certificate = json.loads(https_site.get("/health"))["tls"]["certificate"]
    assert certificate["days_left"] == 9  # made for 10 days, a few seconds ago
    assert certificate["names"] == [*NAMES, *ADDRESSES]
    metrics = https_site.get("/metrics").decode()
    assert "\nbondfloor_tls_certificate_days_left 9.0\n" in metrics
    deadline = time.monotonic() + 15
    row = None
    while row is None and time.monotonic() < deadline:
        with sqlite3.connect(https_site.folder / "site.db") as conn:
            row = conn.execute(
                "SELECT severity, code, params FROM alerts WHERE kind = 'CERTIFICATE_EXPIRING' "
                "AND cleared_at IS NULL"
            ).fetchone()
        time.sleep(0.2)
    assert row is not None, "no certificate alert within 15 s"
    severity, code, params = row
    assert (severity, code) == ("critical", "CERTIFICATE_EXPIRING")
    assert json.loads(params)["days_left"] == 9
    assert json.loads(params)["expires_at"][:10] == certificate["not_after"][:10]


def test_check_config_refuses_a_key_of_another_certificate_and_an_expired_one(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    from server.config import load_settings
    from server.tls.service import make_site_certificates

    own = tmp_path / "own"
    own.mkdir()
    config = write_config(
        own,
        free_port(),
        free_port(),
        f'cert = "{own / "site.crt"}"\nkey = "{own / "other.key"}"\n',
    )
    settings = load_settings(config)
    make_site_certificates(settings.tls, "SITE1")
    good_key = (own / "other.key").read_bytes()
    make_site_certificates(settings.tls, "SITE1")  # a new certificate with a new key
    (own / "other.key").write_bytes(good_key)  # beside it, the first certificate's key
    checked = bondfloor(config, "check-config")
    assert checked.returncode == 1
    assert "is not the key of the certificate" in checked.stderr
    make_site_certificates(
        settings.tls, "SITE1", now=datetime.now(UTC) - timedelta(days=3), cert_days=1
    )
    checked = bondfloor(config, "check-config")
    assert checked.returncode == 1 and "expired" in checked.stderr
    served = bondfloor(config, "serve")
    assert served.returncode != 0 and "cannot serve HTTPS" in served.stderr
    make_site_certificates(settings.tls, "SITE1")
    checked = bondfloor(config, "check-config")
    assert checked.returncode == 0, checked.stderr
    assert "tls: CN=localhost" in checked.stdout and "824 days" in checked.stdout


def test_a_lan_server_without_a_certificate_refuses_to_serve_plain_http(tmp_path: Path) -> None:
    config = write_config(tmp_path, free_port(), free_port())
    config.write_text(config.read_text().replace('host = "127.0.0.1"', 'host = "0.0.0.0"'))
    checked = bondfloor(config, "check-config")
    assert checked.returncode == 1 and "bondfloor tls init" in checked.stderr
    served = bondfloor(config, "serve")
    assert served.returncode != 0 and "no certificate" in served.stderr


@pytest.mark.e2e
def test_chromium_trusting_the_site_ca_opens_the_site_as_a_secure_context(
    https_site: HttpsSite, tmp_path: Path, playwright_session: Playwright
) -> None:
    """Chromium on Linux takes its trust from the NSS database in $HOME/.pki/nssdb, as a
    handheld's browser takes it from the CA installed in Android's settings: no flag
    that ignores certificate errors."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

    if not CHROMIUM.exists() or not Path("/usr/bin/certutil").exists():
        pytest.skip("needs Debian's chromium and certutil (libnss3-tools): `make browser`")
    home = tmp_path / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    certutil = ["/usr/bin/certutil", "-d", f"sql:{nssdb}"]
    subprocess.run([*certutil, "-N", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [*certutil, "-A", "-n", "bondfloor site CA", "-t", "C,,", "-i", str(https_site.ca_file)],
        check=True,
        capture_output=True,
    )
    site = f"https://localhost:{https_site.port}"
    browser = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    try:
        page = browser.new_context(viewport=PHONE).new_page()
        answer = page.goto(f"{site}/index.html")
        assert answer is not None and answer.ok
        assert page.evaluate("window.isSecureContext") is True
        script = page.evaluate(
            "navigator.serviceWorker.ready.then((r) => r.active && r.active.scriptURL)"
        )
        assert script == f"{site}/sw.js"
        page.goto(f"{site}/ca.html")
        fingerprint = page.locator("#ca-fingerprint")
        fingerprint.locator("span").first.wait_for()
        from server.tls.service import ca_fingerprint

        shown = ":".join(fingerprint.locator("span").all_inner_texts())
        assert shown == ca_fingerprint(https_site.ca_file.read_bytes())
        assert page.evaluate("document.getElementById('ca-qr').naturalWidth") > 0
        assert "".join(page.locator("#ca-url span").all_inner_texts()) == (
            f"http://localhost:{https_site.redirect_port}/ca.crt"
        )
        shots = https_site.folder / "screenshots"
        page.screenshot(path=str(shots / "ca-zh.png"), full_page=True)
        assert "安装站点证书" in page.locator("h1").inner_text()
        page.locator("#lang").click()
        assert page.locator("h1").inner_text() == "Site CA"
        assert "Choose the downloaded file bondfloor-SITE1-ca.crt." in page.content()
        page.screenshot(path=str(shots / "ca-en.png"), full_page=True)
        targets = page.evaluate(
            "[...document.querySelectorAll('a, button')].map((e) => "
            "[e.id, e.getBoundingClientRect().height])"
        )
        assert all(height >= 48 for _, height in targets), targets
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # A handheld that does not trust the site yet: the same page over plain HTTP.
        plain = browser.new_context(viewport=PHONE).new_page()
        plain.goto(f"http://127.0.0.1:{https_site.redirect_port}/ca.html")
        plain.locator("#ca-fingerprint span").first.wait_for()
        assert plain.locator("#ca-download").get_attribute("download") == ("bondfloor-SITE1-ca.crt")
    finally:
        browser.close()


def test_the_certificate_alert_opens_inside_the_warning_days_and_says_expired_after(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    import msgspec

    from server.alerts.service import certificate_expiring
    from server.config import Settings, TlsSettings
    from server.tls.service import make_site_certificates

    tls = TlsSettings(
        cert=str(tmp_path / "s.crt"),
        key=str(tmp_path / "s.key"),
        ca_cert=str(tmp_path / "ca.crt"),
        ca_key=str(tmp_path / "ca.key"),
    )
    settings = msgspec.structs.replace(Settings(), tls=tls)
    now = datetime.now(UTC)
    make_site_certificates(tls, "SITE1", now=now, cert_days=40)
    assert certificate_expiring(settings, now) == []
    [soon] = certificate_expiring(settings, now + timedelta(days=15))
    assert (soon.code, soon.params["days_left"]) == ("CERTIFICATE_EXPIRING", 24)
    [gone] = certificate_expiring(settings, now + timedelta(days=41))
    assert (gone.code, gone.params["days_left"]) == ("CERTIFICATE_EXPIRED", 0)
    plain = msgspec.structs.replace(settings, tls=msgspec.structs.replace(tls, enabled=False))
    assert certificate_expiring(plain, now + timedelta(days=41)) == []
