"""`herald up`: Herald on one machine, in one process tree, until Ctrl-C.

PostgreSQL and Redis are the local ones when they answer (or the configured ones), embedded
otherwise (see app.embedded). The API and the worker run as child processes of their own
sessions, so that a Ctrl-C reaches only this process, which stops them first and the embedded
servers last: nothing is left running.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import click
import httpx

from app.config import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, Settings, load_settings
from app.demo import MEMBER, ORGANIZATION, PAGE_SLUG, seed_demo
from app.embedded import (
    EmbeddedPostgres,
    RedisProcess,
    forced,
    redis_server_binary,
    should_embed,
)
from app.store.api_keys import SCOPES, rotate_api_key
from app.store.migrate import migrate
from app.store.pool import connect

READY_TIMEOUT = 30.0  # seconds for the API to answer its first request
STOP_TIMEOUT = 15.0  # seconds a child gets to finish after SIGTERM; the worker takes up to 8


async def prepare(settings: Settings) -> str:
    """Migrate, seed the demo once, and mint its key; the previous demo key stops working."""
    conn = await connect(settings.database_url)
    try:
        await migrate(conn)
        await seed_demo(conn, datetime.now(UTC))
        return await rotate_api_key(conn, ORGANIZATION, MEMBER, SCOPES)
    finally:
        await conn.close()


def _secret_key(data_dir: Path) -> str:
    """A SECRET_KEY kept in the data directory: it decrypts webhook secrets on the next start."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _spawn(command: str, environ: dict[str, str], log_format: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", command, "--log-format", log_format],
        env=environ,
        start_new_session=True,
    )


def _wait_ready(url: str, children: dict[str, subprocess.Popen], stop: threading.Event) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not stop.is_set():
        _check_alive(children)
        try:
            # trust_env=False: a proxy from the environment must not stand between us and it.
            if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise click.ClickException(f"the API did not answer at {url} in {READY_TIMEOUT:.0f} s")
        stop.wait(0.1)


def _check_alive(children: dict[str, subprocess.Popen]) -> None:
    for name, child in children.items():
        if child.poll() is not None:
            raise click.ClickException(
                f"herald {name} stopped (exit code {child.returncode}); see its log above"
            )


def _stop(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to all at once, so that they wind down side by side; SIGKILL to a laggard."""
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for child in children.values():
        try:
            child.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def up(environ: Mapping[str, str], data_dir: Path, log_format: str) -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(environ)
    force = forced(environ)
    with ExitStack() as cleanup:  # stops what was started, last started first
        if should_embed(environ.get("DATABASE_URL"), DEFAULT_DATABASE_URL, force):
            postgres = EmbeddedPostgres(data_dir / "postgres")
            cleanup.callback(postgres.stop)
            env["DATABASE_URL"] = postgres.url
            click.echo(f"PostgreSQL: embedded, data in {data_dir / 'postgres'}")
        if should_embed(environ.get("REDIS_URL"), DEFAULT_REDIS_URL, force):
            redis = RedisProcess(redis_server_binary(embedded=True), data_dir / "redis")
            redis.start()
            cleanup.callback(redis.stop)
            env["REDIS_URL"] = redis.url
            click.echo(f"Redis: embedded, on {redis.url}")
        if not env.get("SECRET_KEY"):
            env["SECRET_KEY"] = _secret_key(data_dir)
        settings = load_settings(env)
        key = asyncio.run(prepare(settings))
        children: dict[str, subprocess.Popen] = {}
        cleanup.callback(_stop, children)
        for command in ("serve", "worker"):
            children[command] = _spawn(command, env, log_format)
        local = f"http://{settings.host}:{settings.port}"
        _wait_ready(f"{local}/status/{PAGE_SLUG}", children, stop)
        if stop.is_set():
            return
        click.echo(
            "\nHerald is up.\n"
            f"  Status page: {local}/status/{PAGE_SLUG}\n"
            f"  API docs:    {local}/schema\n"
            f"  API key:     {key}\n"
            f"               (organization {ORGANIZATION!r}; a new key on every start)\n"
            "Press Ctrl-C to stop."
        )
        while not stop.wait(0.2):
            _check_alive(children)
        click.echo("Stopping...")
