"""Settings, read from an environment mapping passed in, never at import time."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

import msgspec

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limit_per_minute: int = 1200  # per API key, shared by every API process via Redis
    # Notifications. SECRET_KEY encrypts webhook secrets and signs subscriber links; without it
    # the worker does not start and the endpoints that need it answer 503.
    secret_key: str | None = None
    # The public address of the pages, for links in messages and in public answers; without it
    # pages link relative to the address asked and messages point at host:port.
    public_url: str | None = None
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
    # Each API process learns of page changes by NOTIFY, and checks this often for one it missed.
    page_check_seconds: float = 5.0
    # Told the addresses of an organization's pages when one of its updates is redacted.
    cdn_purge_url: str | None = None
    # Operations. Peers whose X-Forwarded-For is believed (addresses or CIDR networks); every
    # other peer is the client itself. Keys SECRET_KEY replaced: still verify and decrypt.
    trusted_proxies: tuple[str, ...] = ()
    secret_keys_old: tuple[str, ...] = ()

    @property
    def public_base(self) -> str:
        """What public answers put before a page's path: PUBLIC_URL, or nothing at all.

        Never the request's Host header: answers are cached and shared, and a Host a client
        chose would reach everyone served from that cache.
        """
        return (self.public_url or "").rstrip("/")

    @property
    def base_url(self) -> str:
        """Where links in messages point: PUBLIC_URL, else this server's own address."""
        return self.public_base if self.public_url else self.local_url

    @property
    def local_url(self) -> str:
        """This server's address as a browser on its machine writes it."""
        # A wildcard bind address names no machine a reader could reach.
        host = "localhost" if self.host in WILDCARD_HOSTS else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address
        return f"http://{host}:{self.port}"


class SettingInvalid(ValueError):
    """An environment variable Herald cannot use; the message names it and says why."""

    code = "setting_invalid"


def public_url(value: str | None) -> str | None:
    """PUBLIC_URL, checked: every public answer puts it before its paths, so it must be a whole
    http(s) address (a path after the host is fine, for pages behind a prefix)."""
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is no number or out of range
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        raise SettingInvalid(
            "PUBLIC_URL must be the http:// or https:// address of the status pages, "
            f"such as https://status.example.com, with no query or fragment; not {value!r}"
        )
    return value.rstrip("/")


def flag(value: str | None) -> bool:
    """An environment switch: on for 1, true, yes or on."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _listed(value: str | None) -> tuple[str, ...]:
    """A comma-separated list; blanks around and between items are ignored."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _networks(value: str | None) -> tuple[str, ...]:
    networks = []
    for item in _listed(value):
        try:
            networks.append(str(ipaddress.ip_network(item)))
        except ValueError as error:
            raise SettingInvalid(
                f"TRUSTED_PROXIES: {item!r} is not an IP address or a network such as"
                f" 10.0.0.0/8 ({error})"
            ) from error
    return tuple(networks)


def _old_keys(environ: Mapping[str, str]) -> tuple[str, ...]:
    old = _listed(environ.get("SECRET_KEYS_OLD"))
    if old and not environ.get("SECRET_KEY"):
        raise SettingInvalid("SECRET_KEYS_OLD is set but SECRET_KEY is not: set the new key too")
    return old


def load_settings(environ: Mapping[str, str]) -> Settings:
    return Settings(
        database_url=_url(environ, "DATABASE_URL", DEFAULT_DATABASE_URL, DATABASE_URL_FORM),
        redis_url=_url(environ, "REDIS_URL", DEFAULT_REDIS_URL, REDIS_URL_FORM),
        host=environ.get("HERALD_HOST", "127.0.0.1"),
        port=_port(environ.get("HERALD_PORT", "8000")),
        rate_limit_per_minute=int(environ.get("RATE_LIMIT_PER_MINUTE", "1200")),
        secret_key=environ.get("SECRET_KEY") or None,
        public_url=public_url(environ.get("PUBLIC_URL")),
        smtp_url=environ.get("SMTP_URL") or None,
        mail_from=environ.get("MAIL_FROM", "Herald <herald@localhost>"),
        webhook_allow_private=flag(environ.get("WEBHOOK_ALLOW_PRIVATE")),
        worker_max_jobs=int(environ.get("WORKER_MAX_JOBS", "20")),
        metrics_token=environ.get("METRICS_TOKEN", "").strip() or None,
        metrics_refresh=float(environ.get("METRICS_REFRESH_SECONDS", "15")),
        page_check_seconds=float(environ.get("PAGE_CHECK_SECONDS", "5")),
        cdn_purge_url=environ.get("CDN_PURGE_URL", "").strip() or None,
        trusted_proxies=_networks(environ.get("TRUSTED_PROXIES")),
        secret_keys_old=_old_keys(environ),
    )


# What a newcomer gets wrong in the environment is named, with the form expected, before any
# connection is tried (asyncpg's own messages name neither the variable nor the form).
DATABASE_URL_FORM = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
REDIS_URL_FORM = "redis://HOST[:PORT][/DB] (or rediss:// for TLS)"
_SCHEMES = {"DATABASE_URL": ("postgresql", "postgres"), "REDIS_URL": ("redis", "rediss", "unix")}


def _url(environ: Mapping[str, str], name: str, default: str, form: str) -> str:
    value = environ.get(name) or default
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        valid = parts.scheme in _SCHEMES[name] and bool(parts.netloc or parts.path)
    except ValueError:
        valid = False
    if not valid:
        raise SettingInvalid(f"{name} is not a valid URL; expected {form}")
    return value


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingInvalid(f"HERALD_PORT must be a port number from 1 to 65535, not {value!r}")
    return int(value)
