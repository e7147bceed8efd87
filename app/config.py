"""Settings, read from an environment mapping passed in, never at import time."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    host: str = "127.0.0.1"
    port: int = 8000


def load_settings(environ: Mapping[str, str]) -> Settings:
    return Settings(
        database_url=environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        redis_url=environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        host=environ.get("HERALD_HOST", "127.0.0.1"),
        port=int(environ.get("HERALD_PORT", "8000")),
    )
