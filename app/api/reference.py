"""The API reference at /schema: Swagger UI from the swagger-ui-py package, served by Herald.

The page loads nothing from another origin, so it works offline and behind a firewall, and it
shows the Swagger UI of the installed package's version, never whatever a CDN calls latest.
"""

from __future__ import annotations

from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

SCHEMA_PATH = "/schema"
ASSETS_PATH = f"{SCHEMA_PATH}/assets"
# The package's version in every asset address: an upgrade is fetched anew, not read from a
# browser's cache of the previous one.
_VERSION = version("swagger-ui-py")


def _asset(name: str) -> str:
    return f"{ASSETS_PATH}/{name}?v={_VERSION}"


def _assets_router() -> Router:
    return create_static_files_router(
        path="/assets",
        directories=[Path(str(files("swagger_ui") / "static"))],
        name="reference_assets",
        cache_control=CacheControlHeader(public=True, max_age=86400),
        include_in_schema=False,
    )


DESCRIPTION = (
    "Herald's own API (`/v1`), drop-in endpoints for incident.io and uptimeio scripts, and the"
    " public status pages. Every operation listed outside `/status/` needs an API key: press"
    " **Authorize** and paste one. `herald up` prints a key for the demo organization;"
    " `herald api-key create` makes more."
)


def openapi_config(title: str, api_version: str) -> OpenAPIConfig:
    """The OpenAPI document at /schema/openapi.json and the page that shows it at /schema."""
    return OpenAPIConfig(
        title=title,
        version=api_version,
        description=DESCRIPTION,
        openapi_router=Router(
            SCHEMA_PATH, route_handlers=[_assets_router()], include_in_schema=False
        ),
        render_plugins=[
            SwaggerRenderPlugin(
                js_url=_asset("swagger-ui-bundle.js"),
                css_url=_asset("swagger-ui.css"),
                standalone_preset_js_url=_asset("swagger-ui-standalone-preset.js"),
                favicon=f'<link rel="icon" type="image/png" href="{_asset("favicon-32x32.png")}">',
                path="/",
            )
        ],
    )
