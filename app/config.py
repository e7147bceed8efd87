"""Settings, read from an environment mapping passed in, never at import time."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import msgspec

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limit_per_minute: int = 1200  # per API key, shared by every API process via Redis
    # Notifications. SECRET_KEY encrypts webhook secrets and signs subscriber links; without it
    # the worker does not start and the endpoints that need it answer 503.
    secret_key: str | None = None
    public_url: str | None = None  # where links in messages point; default http://host:port
    smtp_url: str | None = None
    mail_from: str = "Herald <herald@localhost>"
    webhook_allow_private: bool = False
    send_timeout: float = 10.0  # one webhook POST, or one SMTP exchange
    delivery_attempts: int = 10
    retry_base: float = 10.0  # seconds before the first retry, doubling up to retry_cap
    retry_cap: float = 3600.0
    # A dead worker's job is re-run by arq only after its timeout plus 10 s, so keep it short.
    job_timeout: float = 60.0
    stale_after: float = 60.0  # a delivery due this long and still pending is enqueued again
    poll_interval: float = 1.0  # the dispatcher's fallback when no NOTIFY arrives
    worker_max_jobs: int = 20
    delivery_batch: int = 50
    # GET /metrics answers only `Authorization: Bearer METRICS_TOKEN`, and is not served (404)
    # without a token; the figures it reads from PostgreSQL are counted at most once every
    # metrics_refresh seconds per API process.
    metrics_token: str | None = None
    metrics_refresh: float = 15.0

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def flag(value: str | None) -> bool:
    """An environment switch: on for 1, true, yes or on."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def load_settings(environ: Mapping[str, str]) -> Settings:
    return Settings(
        database_url=_url(environ, "DATABASE_URL", DEFAULT_DATABASE_URL, DATABASE_URL_FORM),
        redis_url=_url(environ, "REDIS_URL", DEFAULT_REDIS_URL, REDIS_URL_FORM),
        host=environ.get("HERALD_HOST", "127.0.0.1"),
        port=_port(environ.get("HERALD_PORT", "8000")),
        rate_limit_per_minute=int(environ.get("RATE_LIMIT_PER_MINUTE", "1200")),
        secret_key=environ.get("SECRET_KEY") or None,
        public_url=environ.get("PUBLIC_URL") or None,
        smtp_url=environ.get("SMTP_URL") or None,
        mail_from=environ.get("MAIL_FROM", "Herald <herald@localhost>"),
        webhook_allow_private=flag(environ.get("WEBHOOK_ALLOW_PRIVATE")),
        worker_max_jobs=int(environ.get("WORKER_MAX_JOBS", "20")),
        metrics_token=environ.get("METRICS_TOKEN", "").strip() or None,
        metrics_refresh=float(environ.get("METRICS_REFRESH_SECONDS", "15")),
    )


# What a newcomer gets wrong in the environment is named, with the form expected, before any
# connection is tried (asyncpg's own messages name neither the variable nor the form).
DATABASE_URL_FORM = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
REDIS_URL_FORM = "redis://HOST[:PORT][/DB] (or rediss:// for TLS)"
_SCHEMES = {"DATABASE_URL": ("postgresql", "postgres"), "REDIS_URL": ("redis", "rediss", "unix")}


class ConfigError(ValueError):
    """A variable that cannot be used as given; the message names it and the form expected."""


def _url(environ: Mapping[str, str], name: str, default: str, form: str) -> str:
    value = environ.get(name) or default
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        valid = parts.scheme in _SCHEMES[name] and bool(parts.netloc or parts.path)
    except ValueError:
        valid = False
    if not valid:
        raise ConfigError(f"{name} is not a valid URL; expected {form}")
    return value


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"HERALD_PORT must be a port number from 1 to 65535, not {value!r}")
    return int(value)
