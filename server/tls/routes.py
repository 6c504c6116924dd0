"""The site CA for handhelds: the file, its facts for the CA page and the QR code. Public:
a handheld fetches them before anyone logs in on it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from server.config import Settings
from server.error_codes import ERR
from server.tls.ca_page import CA_CONTENT_TYPE, ca_download_url, ca_file_name, ca_info, qr_svg
from server.tls.service import ca_certificate_pem
from server.web import PUBLIC, allow


@get("/ca.crt", opt=allow(PUBLIC), sync_to_thread=False, include_in_schema=False)
def ca_certificate(settings: NamedDependency[Settings]) -> Response[bytes]:
    """The site CA certificate (PEM) to install on a handheld."""
    pem = ca_certificate_pem(settings.tls)
    if pem is None:
        raise ERR.NO_SITE_CA()
    return Response(
        pem,
        media_type=CA_CONTENT_TYPE,
        headers={"content-disposition": f'attachment; filename="{ca_file_name(settings)}"'},
    )


@get("/ca-qr.svg", opt=allow(PUBLIC), sync_to_thread=False, include_in_schema=False)
def ca_qr_code(
    settings: NamedDependency[Settings], request: Request[Any, Any, Any]
) -> Response[bytes]:
    """A QR code of the CA's download address, for a handheld's camera."""
    url = ca_download_url(settings, request.headers.get("host", ""))
    return Response(qr_svg(url), media_type="image/svg+xml")


@get("/api/v1/tls/ca", opt=allow(PUBLIC), sync_to_thread=False, tags=["status"])
def site_ca(
    settings: NamedDependency[Settings], request: Request[Any, Any, Any]
) -> dict[str, object]:
    """The site CA's download address, file name and SHA-256 fingerprint (the CA page)."""
    host = request.headers.get("host", "")
    return ca_info(settings, host, f"{request.url.scheme}://{host}/")


route_handlers = [ca_certificate, ca_qr_code, site_ca]
