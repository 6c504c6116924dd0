"""What the CA page shows and serves, the same on the HTTPS app and the plain HTTP
listener: the CA file, its fingerprint and a QR code of where to download it."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg

from server.config import Settings
from server.tls.service import ca_certificate_pem, ca_fingerprint

CA_CONTENT_TYPE = "application/x-x509-ca-cert"  # Android offers to install it by this type


def ca_file_name(settings: Settings) -> str:
    return f"bondfloor-{settings.site.code}-ca.crt"


def ca_download_url(settings: Settings, host_header: str) -> str:
    """Where a handheld that does not trust the site yet downloads the CA: the plain HTTP
    listener on the host the reader already reached (the page shows the address that works
    from here), else the HTTPS address itself."""
    hostname = urlsplit(f"//{host_header}").hostname or (settings.tls.names or ["localhost"])[0]
    if ":" in hostname:
        hostname = f"[{hostname}]"
    if settings.tls.enabled and settings.tls.redirect_port:
        return f"http://{hostname}:{settings.tls.redirect_port}/ca.crt"
    return f"{'https' if settings.tls.enabled else 'http'}://{host_header}/ca.crt"


def ca_info(settings: Settings, host_header: str, site_url: str) -> dict[str, object]:
    """The CA page's facts; `available` false when the site serves a certificate of its
    own with no site CA to install (its CA is already trusted, or installed some other way).
    `site_url` is the address the handheld opens once it trusts the site."""
    pem = ca_certificate_pem(settings.tls)
    if pem is None:
        return {"available": False, "site": settings.site.code, "site_url": site_url}
    return {
        "available": True,
        "site": settings.site.code,
        "site_url": site_url,
        "download_url": ca_download_url(settings, host_header),
        "file_name": ca_file_name(settings),
        "fingerprint_sha256": ca_fingerprint(pem),
    }


def qr_svg(text: str) -> bytes:
    """A QR code as SVG: one path filled by attribute (no style, the CSP allows none)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2, box_size=10)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
