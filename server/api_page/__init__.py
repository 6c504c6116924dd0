"""The interactive API page: Swagger UI over the corrected OpenAPI document.

Served at `/schema/swagger` (and `/schema/`). Swagger UI's files are vendored from the npm
package `swagger-ui-dist` (`make vendor-swagger-ui`) and served from this server under
`/schema/assets/`: a site LAN has no internet, and the CSP allows our own origin only.
Litestar's page carries an inline script, an inline style and a CDN favicon, which that CSP
refuses, so the page here is plain HTML with two script files, and `swagger-init.js`
starts Swagger UI with the document's URL from a data attribute.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from server.handheld_files import HandheldFiles
from server.web import PUBLIC, allow

SWAGGER_UI_VERSION = "5.36.0"  # as in the Makefile's vendor-swagger-ui
ASSETS_PATH = "/assets"  # under the OpenAPI router's /schema
ASSETS_DIR = Path(__file__).resolve().parent / "static"
VENDORED = f"vendor/swagger-ui-dist-{SWAGGER_UI_VERSION}"


class FloorSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Swagger UI from our own files, in a page the strict CSP lets run."""

    def __init__(self, schema_path: str = "/schema") -> None:
        assets = f"{schema_path}{ASSETS_PATH}"
        super().__init__(
            path=["/swagger", "/"],
            js_url=f"{assets}/{VENDORED}/swagger-ui-bundle.js",
            css_url=f"{assets}/{VENDORED}/swagger-ui.css",
            favicon='<link rel="icon" href="/icons/favicon-32.png" sizes="32x32" type="image/png">',
        )
        self.init_js_url = f"{assets}/swagger-init.js"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(f"{openapi_schema['info']['title']} API")
        spec_url = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{self.favicon}
<link rel="stylesheet" href="{self.css_url}">
<script src="{self.js_url}" defer></script>
<script src="{self.init_js_url}" defer></script>
</head>
<body>
<main id="swagger-ui" data-spec-url="{spec_url}"></main>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path=ASSETS_PATH,
                directories=[ASSETS_DIR],
                opt=allow(PUBLIC),
                name="api-page-assets",
                file_system=HandheldFiles(),
                include_in_schema=False,
            )
        )
