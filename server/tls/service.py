"""The site's certificates: made by `bondfloor tls init`, or brought by the site; checked
before serving, and their expiry shown in /health and raised as an alert.

Handhelds trust the server through a CA of the site's own (installed once per handheld
from the CA page), not through the server certificate itself: the server certificate can
be renewed, for new names or addresses, without touching a single handheld.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from server import clock
from server.config import Settings, TlsSettings

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class CertificateProblem(Exception):
    """The certificate or key cannot be served: missing, unreadable, mismatched, expired."""


@dataclass(frozen=True)
class CertificateStatus:
    """What /health and the alerts say about the served certificate."""

    subject: str
    not_after: datetime
    days_left: int
    names: list[str]

    def as_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left,
            "names": self.names,
        }


@dataclass(frozen=True)
class MadeFiles:
    ca_cert: Path
    cert: Path
    key: Path
    ca_made: bool


def make_site_certificates(
    tls: TlsSettings, site_code: str, *, now: datetime | None = None, cert_days: int | None = None
) -> MadeFiles:
    """Make the site CA (kept when it exists: handhelds already trust it) and a new server
    certificate signed by it for every configured name and address."""
    now = now or clock.now()
    ca_cert_path, ca_key_path = Path(tls.ca_cert), Path(tls.ca_key)
    ca_made = not (ca_cert_path.exists() and ca_key_path.exists())
    if ca_made:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bondfloor"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"bondfloor {site_code} site CA"),
            ]
        )
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=tls.ca_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(ca_key_path, _key_pem(ca_key))
        _write(ca_cert_path, ca_cert.public_bytes(serialization.Encoding.PEM))
    else:
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise CertificateProblem(f"{ca_key_path}: not the EC key `tls init` makes")
        ca_key = loaded

    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in tls.names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in tls.addresses]
    first = (tls.names or tls.addresses or ["bondfloor"])[0]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=cert_days or tls.cert_days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(Path(tls.key), _key_pem(key))
    # The chain (server, then CA) lets a client that lacks nothing but the root verify.
    _write(
        Path(tls.cert),
        cert.public_bytes(serialization.Encoding.PEM)
        + ca_cert.public_bytes(serialization.Encoding.PEM),
    )
    return MadeFiles(ca_cert_path, Path(tls.cert), Path(tls.key), ca_made)


def check_certificate(tls: TlsSettings, now: datetime | None = None) -> CertificateStatus:
    """The served certificate's status; CertificateProblem when it cannot be served."""
    now = now or clock.now()
    cert_path, key_path = Path(tls.cert), Path(tls.key)
    for path, what in ((cert_path, "certificate"), (key_path, "key")):
        if not path.is_file():
            raise CertificateProblem(
                f"{path}: no {what} (run `bondfloor tls init`, or set tls.cert and tls.key "
                "to the site's own)"
            )
    try:
        cert = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
    except ValueError as err:
        raise CertificateProblem(f"{cert_path}: not a PEM certificate ({err})") from err
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError) as err:
        raise CertificateProblem(f"{key_path}: not an unencrypted PEM private key ({err})") from err
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise CertificateProblem(f"{key_path} is not the key of the certificate {cert_path}")
    status = certificate_status(cert, now)
    if status.not_after <= now:
        raise CertificateProblem(
            f"{cert_path}: expired {status.not_after:%Y-%m-%d %H:%M} UTC "
            "(renew it: `bondfloor tls init` keeps the site CA)"
        )
    if cert.not_valid_before_utc > now:
        raise CertificateProblem(
            f"{cert_path}: not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC "
            "(is this machine's clock right?)"
        )
    return status


def certificate_status(cert: x509.Certificate, now: datetime) -> CertificateStatus:
    not_after = cert.not_valid_after_utc
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n.value) for n in san]
    except x509.ExtensionNotFound:
        names = []
    return CertificateStatus(
        subject=cert.subject.rfc4514_string(),
        not_after=not_after,
        days_left=int((not_after - now).total_seconds() // 86400),
        names=names,
    )


def served_certificate_status(
    settings: Settings, now: datetime | None = None
) -> CertificateStatus | None:
    """The status of the certificate this site serves; None when it serves plain HTTP."""
    if not settings.tls.enabled:
        return None
    try:
        cert = x509.load_pem_x509_certificates(Path(settings.tls.cert).read_bytes())[0]
    except (OSError, ValueError):
        return None  # no file yet, or not one: `serve` and `check-config` say which
    return certificate_status(cert, now or clock.now())


def tls_health(settings: Settings) -> dict[str, object]:
    """The /health answer's `tls`: whether HTTPS is on and its certificate's end."""
    status = served_certificate_status(settings)
    return {
        "enabled": settings.tls.enabled,
        "certificate": status.as_dict() if status is not None else None,
    }


def serves_https(settings: Settings, host: str) -> bool:
    """HTTPS when enabled; only a loopback server without certificates yet stays on plain
    HTTP (loopback never crosses the Wi-Fi, and browsers count it as a secure context)."""
    if not settings.tls.enabled:
        return False
    have_files = Path(settings.tls.cert).is_file() or Path(settings.tls.key).is_file()
    return have_files or host not in LOOPBACK_HOSTS


def ca_certificate_pem(tls: TlsSettings) -> bytes | None:
    """The CA a handheld installs: the site CA, else (a site's own certificate with no CA
    file) nothing to install."""
    path = Path(tls.ca_cert)
    return path.read_bytes() if path.is_file() else None


def ca_fingerprint(pem: bytes) -> str:
    """SHA-256 of the CA certificate, as Android shows it: colon-separated hex pairs."""
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _public_der(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    path.chmod(0o600)
