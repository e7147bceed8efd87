"""The `herald` command: up, env, serve, worker, migrate, demo, status, api-key, projections,
secrets."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import click
import msgspec
from tqdm import tqdm

from app.api.v1.schemas import Slug
from app.config import SettingInvalid, Settings, load_settings
from app.crypto import keys_of
from app.demo import ORGANIZATION, PAGE_SLUG, seed_demo
from app.domain.errors import DomainError
from app.embedded import EmbeddedUnavailable
from app.local_state import StaleState, export_lines, find_state, live_state, with_local_state
from app.logs import configure_logging
from app.status import report
from app.store.api_keys import SCOPES, KeyInfo, create_api_key, list_api_keys, revoke_api_key
from app.store.migrate import migrate
from app.store.pool import DatabaseUnreachable, connect, connected
from app.store.rebuild import rebuild_projections
from app.store.webhook_secrets import Reencrypted, reencrypt_webhook_secrets

T = TypeVar("T")
LOG_FORMAT = click.option(
    "--log-format",
    type=click.Choice(["json", "console"]),
    default="json",
    show_default=True,
    help="JSON lines for log collectors, or plain lines for a terminal.",
)
HOST = click.option(
    "--host", help="The address to listen on.  [default: HERALD_HOST, or 127.0.0.1]"
)
PORT = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="The port to listen on.  [default: HERALD_PORT, or 8000]",
)


class Herald(click.Group):
    """Turns the failures a user can act on into one line each, instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DatabaseUnreachable, EmbeddedUnavailable, SettingInvalid, StaleState) as error:
            raise click.ClickException(str(error)) from error
        except DomainError as error:
            raise click.ClickException(error.message) from error


def _environ() -> dict[str, str]:
    """The environment, completed from the `herald up` running in this project, if any."""
    return with_local_state(os.environ, Path.cwd())


def _settings() -> Settings:
    return load_settings(_environ())


def _listen_on(environ: dict[str, str], host: str | None, port: int | None) -> dict[str, str]:
    """--host and --port win over HERALD_HOST and HERALD_PORT."""
    return (
        environ
        | ({"HERALD_HOST": host} if host else {})
        | ({"HERALD_PORT": str(port)} if port else {})
    )


def _with_connection(work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `work` on one connection to DATABASE_URL, in a fresh event loop."""

    async def run() -> T:
        conn = await connect(_settings().database_url)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def _migrate() -> None:
    applied = _with_connection(migrate)
    click.echo("applied: " + ", ".join(applied) if applied else "schema is current")


@click.group(
    cls=Herald, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(package_name="herald", message="herald %(version)s")
def main() -> None:
    """Herald: incident updates, status pages and subscriber notifications.

    Configured by environment variables (DATABASE_URL, REDIS_URL, SECRET_KEY, ...; see the
    README). Start with `herald up`: while it runs, the other commands, run in this project,
    use its services unless DATABASE_URL or REDIS_URL is set.
    """


@main.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".herald",
    show_default=True,
    help="Where embedded PostgreSQL keeps its data between starts.",
)
@click.option(
    "--log-format",
    type=click.Choice(["json", "console"]),
    default="console",
    show_default=True,
    help="The API's and the worker's logs, on this terminal.",
)
@HOST
@PORT
def up(data_dir: Path, log_format: str, host: str | None, port: int | None) -> None:
    """Run everything on this machine until Ctrl-C: the API, the status pages and the worker.

    Uses PostgreSQL and Redis from DATABASE_URL and REDIS_URL, or on their default local ports;
    where neither is set nor answering (or with HERALD_EMBEDDED=1), starts embedded ones with
    their data under --data-dir. Catches the mail sent and shows it here (unless SMTP_URL is
    set); lets webhooks reach private addresses while it listens on loopback only. Seeds a demo
    organization once, and prints its status page and a fresh API key for it (the previous demo
    key is revoked). While it runs, the other commands, run in this project, use its services.
    """
    # Imported here, like the server and the worker below: a command loads what it runs.
    from app.up import up as run_up

    run_up(_listen_on(dict(os.environ), host, port), data_dir, log_format)


@main.command()
def env() -> None:
    """Print `export` lines for the services of the `herald up` running in this project.

    For programs other than `herald`: `eval "$(uv run herald env)"`.
    """
    path = find_state(Path.cwd())
    if path is None:
        raise click.ClickException(
            "no `herald up` runs in this project: start it (it writes .herald/state.json)"
        )
    click.echo("\n".join(export_lines(live_state(path))))


def server_options(settings: Settings) -> dict[str, Any]:
    """What `herald serve` tells uvicorn, besides the application."""
    return {
        "host": settings.host,
        "port": settings.port,
        # uvicorn keeps the logging `serve` set up instead of installing its own.
        "log_config": None,
        # The application reads X-Forwarded-For from TRUSTED_PROXIES only (create_app);
        # uvicorn's own reading would believe any peer on loopback.
        "proxy_headers": False,
        # With --workers, the supervisor pings each process; one starved of CPU for a few
        # seconds (a busy host, a large fan-out beside it) would be killed mid-request at
        # uvicorn's 5 s default. A hung process is still replaced, later.
        "timeout_worker_healthcheck": 30,
    }


@main.command()
@LOG_FORMAT
@HOST
@PORT
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="API processes sharing the port.  [default: one per core]",
)
def serve(log_format: str, host: str | None, port: int | None, workers: int | None) -> None:
    """Migrate, then serve the API and the status pages on --host and --port."""
    import uvicorn

    configure_logging(log_format)
    environ = _listen_on(_environ(), host, port)
    settings = load_settings(environ)
    _migrate()
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        from app.api.app import create_app

        uvicorn.run(create_app(settings), **server_options(settings))
        return
    # Each process builds its own application from the environment it inherits; what they
    # share (the log, idempotency keys, the rate limit's budget) lives in PostgreSQL and Redis.
    os.environ.update(environ | {SERVED_LOG_FORMAT: log_format})
    uvicorn.run("app.cli:served_app", factory=True, workers=workers, **server_options(settings))


SERVED_LOG_FORMAT = "HERALD_SERVE_LOG_FORMAT"


def served_app() -> Any:
    """The application of one `herald serve --workers N` process."""
    from app.api.app import create_app

    configure_logging(os.environ.get(SERVED_LOG_FORMAT, "json"))
    return create_app(load_settings(os.environ))


@main.command()
@LOG_FORMAT
def worker(log_format: str) -> None:
    """Migrate, then dispatch and deliver notifications until SIGINT or SIGTERM."""
    from workers.runner import run

    configure_logging(log_format)
    _migrate()
    run(_settings())


@main.command("migrate")
def migrate_command() -> None:
    """Apply the schema and pending migrations; safe to run twice, or from several replicas."""
    _migrate()


@main.command()
def demo() -> None:
    """Seed a demo organization: a published page, two components, a resolved incident.

    Safe to run again: an organization that has its page already is left as it is.
    """

    async def seed(conn: asyncpg.Connection) -> bool:
        return await seed_demo(conn, datetime.now(UTC))

    seeded = _with_connection(seed)
    state = "seeded" if seeded else "already seeded"
    click.echo(f"organization {ORGANIZATION!r} {state}: its status page is /status/{PAGE_SLUG}")


@main.command()
def status() -> None:
    """Report whether PostgreSQL and Redis answer, the dispatcher's lag, and deliveries.

    Exits with 1 when PostgreSQL or Redis cannot be reached.
    """
    lines, healthy = asyncio.run(report(_settings()))
    click.echo("\n".join(lines))
    if not healthy:
        sys.exit(1)


@main.group("api-key")
def api_key() -> None:
    """Create, list and revoke API keys."""


@api_key.command("create")
@click.option(
    "--org",
    required=True,
    help="Organization slug (lowercase letters and digits, single hyphens); created if new.",
)
@click.option("--name", required=True, help="The member the key acts as; created if new.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="Repeatable. Default: every scope.",
)
def create_key(org: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create a key and print it; it is shown only this once (stored as a hash)."""
    try:
        msgspec.convert(org, Slug)  # the rule of status page slugs
    except msgspec.ValidationError as error:
        raise click.ClickException(
            f"--org {org!r} is not a slug: use lowercase letters a-z and digits 0-9, in words"
            " joined by single hyphens, at most 63 characters (such as acme-corp)"
        ) from error

    async def create(conn: asyncpg.Connection) -> str:
        return await create_api_key(conn, org, name, scopes or SCOPES)

    click.echo(_with_connection(create))


@api_key.command("list")
@click.option("--org", help="Only this organization's keys.")
def list_keys(org: str | None) -> None:
    """List keys, revoked ones included, oldest first; never the keys themselves."""

    async def fetch(conn: asyncpg.Connection) -> list[KeyInfo]:
        return await list_api_keys(conn, org)

    rows = [("ID", "ORGANIZATION", "MEMBER", "SCOPES", "CREATED", "REVOKED")]
    for key in _with_connection(fetch):
        rows.append(
            (
                str(key.id),
                key.organization,
                key.member,
                ",".join(key.scopes),
                f"{key.created_at:%Y-%m-%d %H:%M}",
                f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@api_key.command("revoke")
@click.argument("key_id", type=click.UUID)
def revoke_key(key_id: UUID) -> None:
    """Revoke the key with this ID (see `herald api-key list`); it stops working at once."""

    async def revoke(conn: asyncpg.Connection) -> bool:
        return await revoke_api_key(conn, key_id)

    if not _with_connection(revoke):
        raise click.ClickException(f"no live key has the ID {key_id}")
    click.echo(f"revoked {key_id}")


@main.group()
def projections() -> None:
    """Manage the read models derived from the event log."""


@projections.command()
def rebuild() -> None:
    """Replay the whole log into fresh projections, then swap them in; the API keeps serving."""

    async def replay(conn: asyncpg.Connection) -> int:
        with tqdm(unit="event", disable=not sys.stderr.isatty()) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            url = _settings().database_url
            return await rebuild_projections(
                conn, another=lambda: connected(url), on_progress=progress
            )

    click.echo(f"projections rebuilt from {_with_connection(replay)} events")


@main.group("secrets")
def secrets_group() -> None:
    """Manage what SECRET_KEY protects."""


@secrets_group.command()
def reencrypt() -> None:
    """Re-encrypt every stored webhook secret with SECRET_KEY; safe to run again.

    After a rotation (the new key in SECRET_KEY, the replaced ones in SECRET_KEYS_OLD) this moves
    the secrets off the old keys. Exits with 1 when a secret decrypts with none of them.
    """
    keys = keys_of(_settings())
    if keys is None:
        raise click.ClickException("SECRET_KEY is not set: it is the key to re-encrypt with")

    async def run(conn: asyncpg.Connection) -> Reencrypted:
        return await reencrypt_webhook_secrets(conn, keys)

    done = _with_connection(run)
    click.echo(f"re-encrypted {done.moved} webhook secrets; {done.current} were current")
    if done.unreadable:
        ids = ", ".join(str(subscriber_id) for subscriber_id in done.unreadable)
        raise click.ClickException(
            f"{len(done.unreadable)} secrets decrypt with no configured key (subscribers {ids});"
            " add the key they were encrypted with to SECRET_KEYS_OLD and run this again"
        )


if __name__ == "__main__":  # `python -m app.cli`, as `herald up` starts its children
    main()
