"""`herald up`: Herald on one machine, in one process tree, until Ctrl-C.

PostgreSQL and Redis are the local ones when they answer (or the configured ones), embedded
otherwise (see app.embedded). The API and the worker run as child processes of their own
sessions, so that a Ctrl-C reaches only this process, which stops them first and the embedded
servers last: nothing is left running. While it runs, .herald/state.json tells the other
`herald` commands where its services are (see app.local_state).

Nothing is touched before the port is known to be free and no other `herald up` runs on the
same data directory: a second start must not revoke the first one's demo key.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import secrets
import signal
import socket
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

from app.config import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, Settings, flag, load_settings
from app.demo import MEMBER, ORGANIZATION, PAGE_SLUG, seed_demo
from app.embedded import (
    EmbeddedPostgres,
    EmbeddedUnavailable,
    RedisProcess,
    forced,
    redis_server_binary,
    should_embed,
)
from app.local_state import (
    STATE_FILE,
    VARIABLES,
    LocalState,
    read_state,
    remove_state,
    running,
    write_state,
)
from app.mail_catcher import MailCatcher
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


def _refuse_second_start(data_dir: Path) -> None:
    # Its process alone decides: its servers may be slow to answer, and a second start on the
    # same data would take them over and revoke its demo key.
    state = read_state(data_dir / STATE_FILE)
    if state is not None and running(state.pid):
        raise click.ClickException(
            f"herald up is running already (process {state.pid}, {state.api_url}) with its data"
            f" in {data_dir}; stop it first, or give this one another --data-dir"
        )


def _refuse_used_port(host: str, port: int) -> None:
    """Bind as uvicorn will, and let go: a port in use fails here, before anything started."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} is in use; set HERALD_PORT or --port"
            ) from error
        reason = error.strerror or str(error)
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from error


def is_loopback(host: str) -> bool:
    """Whether an API bound to `host` can be reached from this machine only."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def allows_private_webhooks(environ: Mapping[str, str], host: str) -> bool:
    """WEBHOOK_ALLOW_PRIVATE as set; unset, on exactly while the API listens on loopback.

    Receivers on this machine or its network are what one tries locally; an API that others
    can reach keeps the guard, or anyone could have it fetch addresses inside the network.
    """
    if "WEBHOOK_ALLOW_PRIVATE" in environ:
        return flag(environ["WEBHOOK_ALLOW_PRIVATE"])
    return is_loopback(host)


def _catch_mail(env: dict[str, str], cleanup: ExitStack) -> str:
    """Start the mail catcher and point SMTP_URL at it; what the banner says of mail."""
    try:
        catcher = MailCatcher(click.echo)
    except EmbeddedUnavailable as error:
        return f"not sent: {error}"
    catcher.start()
    cleanup.callback(catcher.stop)
    env["SMTP_URL"] = catcher.url
    return f"caught and shown here, not delivered (an SMTP server on {catcher.url})"


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while starting: stop what was started, and nothing more."""


def up(environ: Mapping[str, str], data_dir: Path, log_format: str) -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    settings = load_settings(environ)  # a malformed variable fails before anything is touched
    _refuse_used_port(settings.host, settings.port)
    _refuse_second_start(data_dir)
    try:
        _run(environ, data_dir, log_format, stop)
    except Interrupted:
        click.echo("Stopped.")


def _run(
    environ: Mapping[str, str], data_dir: Path, log_format: str, stop: threading.Event
) -> None:
    def check() -> None:
        if stop.is_set():
            raise Interrupted

    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(environ)
    force = forced(environ)
    with ExitStack() as cleanup:  # stops what was started, last started first
        if should_embed(environ.get("DATABASE_URL"), DEFAULT_DATABASE_URL, force):
            try:
                postgres = EmbeddedPostgres(data_dir / "postgres")
            except EmbeddedUnavailable:
                check()  # a Ctrl-C in the terminal also reached its initdb or pg_ctl
                raise
            cleanup.callback(postgres.stop)
            env["DATABASE_URL"] = postgres.url
            click.echo(f"PostgreSQL: embedded, data in {data_dir / 'postgres'}")
        check()
        if should_embed(environ.get("REDIS_URL"), DEFAULT_REDIS_URL, force):
            redis = RedisProcess(redis_server_binary(embedded=True), data_dir / "redis")
            redis.start()
            cleanup.callback(redis.stop)
            env["REDIS_URL"] = redis.url
            click.echo(f"Redis: embedded, on {redis.url}")
        check()
        mail = "sent through SMTP_URL" if env.get("SMTP_URL") else _catch_mail(env, cleanup)
        allowed = allows_private_webhooks(environ, load_settings(env).host)
        env["WEBHOOK_ALLOW_PRIVATE"] = "1" if allowed else "0"
        if not env.get("SECRET_KEY"):
            env["SECRET_KEY"] = _secret_key(data_dir)
        settings = load_settings(env)
        webhooks = (
            "may reach private and loopback addresses too (WEBHOOK_ALLOW_PRIVATE)"
            if settings.webhook_allow_private
            else "reach public addresses only"
            + ("" if is_loopback(settings.host) else f" (the API listens on {settings.host})")
        )
        key = asyncio.run(prepare(settings))
        check()
        local = settings.local_url
        state = LocalState(
            pid=os.getpid(),
            api_url=local,
            environ={name: env[name] for name in VARIABLES if env.get(name)},
        )
        write_state(data_dir, state)
        cleanup.callback(remove_state, data_dir, state.pid)
        children: dict[str, subprocess.Popen] = {}
        cleanup.callback(_stop, children)
        for command in ("serve", "worker"):
            children[command] = _spawn(command, env, log_format)
        _wait_ready(f"{local}/status/{PAGE_SLUG}", children, stop)
        check()
        click.echo(
            "\nHerald is up.\n"
            f"  Status page: {local}/status/{PAGE_SLUG}\n"
            f"  API docs:    {local}/schema\n"
            f"  API key:     {key}\n"
            f"               (organization {ORGANIZATION!r}; a new key on every start)\n"
            f"  Mail:        {mail}\n"
            f"  Webhooks:    {webhooks}\n"
            "`herald` commands run in this project use these services by themselves. For other\n"
            "programs, paste into a shell:\n"
            '  eval "$(uv run herald env)"\n'
            "Press Ctrl-C to stop."
        )
        while not stop.wait(0.2):
            _check_alive(children)
        click.echo("Stopping...")
