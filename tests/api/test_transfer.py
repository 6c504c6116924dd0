"""Weight on the wire: gzip for text when asked, 304 for handheld files that did not change."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

from litestar import Litestar, get
from litestar.testing import TestClient

from server.transfer import compression_config
from tests.api.test_error_shape import assert_error
from tests.api.test_security_headers import assert_hardened
from tests.conftest import Api, seed_basics

GZIP = {"accept-encoding": "gzip"}
PLAIN = {"accept-encoding": "identity"}


def raw_bytes(client: TestClient[Any], method: str, path: str, **kw: Any) -> bytes:
    """The bytes as sent, before the client would undo the gzip."""
    with client.stream(method, path, **kw) as answer:
        return b"".join(answer.iter_raw())


def test_a_script_comes_gzip_encoded_when_asked_and_plain_when_not(api: Api) -> None:
    zipped = api.client.get("/js/i18n.js", headers=GZIP)
    plain = api.client.get("/js/i18n.js", headers=PLAIN)
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    assert int(zipped.headers["content-length"]) < int(plain.headers["content-length"]) / 2
    assert zipped.content == plain.content  # the same script once unzipped
    assert zipped.headers["x-content-type-options"] == "nosniff"


def test_a_tiny_answer_and_a_png_are_not_compressed(api: Api) -> None:
    refused = api.client.get("/api/v1/customers", headers=GZIP)
    assert refused.status_code == 401
    assert len(refused.content) < 512
    assert "content-encoding" not in refused.headers

    @get("/picture", media_type="image/png")
    async def picture() -> bytes:
        return bytes(range(256)) * 8

    with TestClient(Litestar([picture], compression_config=compression_config())) as client:
        answer = client.get("/picture", headers=GZIP)
    assert answer.status_code == 200
    assert "content-encoding" not in answer.headers
    assert answer.content == bytes(range(256)) * 8


def test_an_unchanged_file_gets_a_304_with_no_body_and_its_security_headers(api: Api) -> None:
    first = api.client.get("/js/api.js", headers=GZIP)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')  # one validator for the gzip and the plain bytes
    again = api.client.get("/js/api.js", headers={**GZIP, "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "no-cache"  # the handheld keeps revalidating
    assert "content-type" not in again.headers
    # A script's 304, like its 200: nosniff, and no document headers (security_headers.py).
    assert again.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in again.headers
    page = api.client.get("/home.html", headers=GZIP)
    page_again = api.client.get(
        "/home.html", headers={**GZIP, "if-none-match": page.headers["etag"]}
    )
    assert page_again.status_code == 304
    assert_hardened(page_again)
    by_date = api.client.get(
        "/js/api.js", headers={"if-modified-since": first.headers["last-modified"]}
    )
    assert by_date.status_code == 304
    assert by_date.content == b""


def test_a_page_by_its_directory_revalidates_too(api: Api) -> None:
    first = api.client.get("/")
    again = api.client.get("/", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


def test_another_etag_or_an_older_date_gets_the_file(api: Api) -> None:
    first = api.client.get("/css/app.css", headers=GZIP)
    other = api.client.get("/css/app.css", headers={"if-none-match": 'W/"1-2-3", "4-5-6"'})
    assert other.status_code == 200
    assert other.content == first.content
    old = api.client.get(
        "/css/app.css", headers={"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"}
    )
    assert old.status_code == 200
    nonsense = api.client.get("/css/app.css", headers={"if-modified-since": "yesterday"})
    assert nonsense.status_code == 200


def test_a_changed_file_gets_a_200_with_its_new_bytes(
    own_pages: Path, own_pages_client: TestClient[Any]
) -> None:
    script = own_pages / "js" / "api.js"
    first = own_pages_client.get("/js/api.js")
    script.write_text(script.read_text() + "\n// changed\n")
    stat = script.stat()
    os.utime(script, (stat.st_atime, stat.st_mtime + 5))
    again = own_pages_client.get(
        "/js/api.js",
        headers={
            "if-none-match": first.headers["etag"],
            "if-modified-since": first.headers["last-modified"],
        },
    )
    assert again.status_code == 200
    assert again.headers["etag"] != first.headers["etag"]
    assert again.text.endswith("// changed\n")


def test_a_json_error_keeps_its_shape_when_compressed(api: Api) -> None:
    seed_basics(api)
    unknown = {f"colour{i}": 1 for i in range(12)}
    answer = api.post(
        "/api/v1/customers", json={"code": "C9", "name": "x", **unknown}, headers=GZIP
    )
    assert answer.headers["content-encoding"] == "gzip"  # big enough to be worth it
    error = assert_error(answer, 400, "UNKNOWN_FIELD")
    assert len(error["details"]["problems"]) == 12  # type: ignore[index]
    sent = raw_bytes(
        api.client,
        "POST",
        "/api/v1/customers",
        json={"code": "C9", "name": "x", **unknown},
        headers={**api.headers("supervisor", "again"), **GZIP},
    )
    assert gzip.decompress(sent) == answer.content
    assert_hardened(answer)


def test_a_streamed_csv_download_is_compressed_and_whole(api: Api) -> None:
    seed_basics(api)
    params = {"kind": "sku", "value": "S1", "customer": "C1"}
    who = api.headers("supervisor")
    zipped = api.client.get("/api/v1/trace/export", params=params, headers={**who, **GZIP})
    plain = api.client.get("/api/v1/trace/export", params=params, headers={**who, **PLAIN})
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.content == plain.content
    assert zipped.content.startswith("\ufefftime,".encode())
