"""The `herald` command: migrate, serve, api-key create."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

import asyncpg
from tqdm import tqdm

from app.config import Settings, load_settings
from app.store.api_keys import SCOPES, create_api_key
from app.store.migrate import migrate
from app.store.rebuild import rebuild_projections


async def _migrate(settings: Settings) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        applied = await migrate(conn)
    finally:
        await conn.close()
    print("applied: " + ", ".join(applied) if applied else "schema is current")


async def _create_key(settings: Settings, org: str, name: str, scopes: tuple[str, ...]) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        print(await create_api_key(conn, org, name, scopes))
    finally:
        await conn.close()


async def _rebuild(settings: Settings) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        with tqdm(unit="event", disable=not sys.stderr.isatty()) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            replayed = await rebuild_projections(conn, on_progress=progress)
    finally:
        await conn.close()
    print(f"projections rebuilt from {replayed} events")


def _serve(settings: Settings) -> None:
    import uvicorn

    from app.api.app import create_app

    asyncio.run(_migrate(settings))
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="herald", description="Herald incident communication.")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the schema and pending migrations (safe to rerun)")
    commands.add_parser("serve", help="migrate, then serve the API on HERALD_HOST:HERALD_PORT")
    commands.add_parser("worker", help="migrate, then dispatch and deliver notifications")
    projections = commands.add_parser("projections", help="manage the read models")
    projection_commands = projections.add_subparsers(dest="projections_command", required=True)
    projection_commands.add_parser(
        "rebuild", help="replay the whole log into fresh projections, then swap them in"
    )
    api_key = commands.add_parser("api-key", help="manage API keys")
    key_commands = api_key.add_subparsers(dest="key_command", required=True)
    create = key_commands.add_parser(
        "create", help="create a key (and its organization and member if new); prints only the key"
    )
    create.add_argument("--org", required=True, help="organization slug")
    create.add_argument("--name", required=True, help="the member the key acts as")
    create.add_argument(
        "--scope",
        action="append",
        choices=SCOPES,
        help="repeatable; default: every scope",
    )
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings(os.environ)
    match args.command:
        case "migrate":
            asyncio.run(_migrate(settings))
        case "serve":
            _serve(settings)
        case "worker":
            from workers.runner import run

            asyncio.run(_migrate(settings))
            run(settings)
        case "projections":
            asyncio.run(_rebuild(settings))
        case "api-key":
            scopes = tuple(args.scope or SCOPES)
            asyncio.run(_create_key(settings, args.org, args.name, scopes))
        case _:
            sys.exit(2)
