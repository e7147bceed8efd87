"""The public pages' stylesheets, served as files so that the pages need no inline style."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"
# Under /status/ with the pages, so that a proxy that publishes only /status/ serves them too;
# an underscore can start no slug.
ASSETS_PATH = "/status/_assets"


@cache
def _digest(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def asset_url(base: str, name: str) -> str:
    """The file's address, with a digest of its content so that a new version is fetched anew."""
    return f"{base}{ASSETS_PATH}/{name}?v={_digest(name)}"


def assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[STATIC],
        name="assets",
        cache_control=CacheControlHeader(public=True, max_age=3600),
        include_in_schema=False,
    )
