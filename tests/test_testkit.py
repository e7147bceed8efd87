"""testkit/: the helpers that tests and benchmarks share, without the benchmarks importing the
tests; and the per-test databases it hands out."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import asyncpg

from testkit.clones import Clones
from testkit.databases import database_url, ensure_template, template_name
from tests.conftest import Services

ROOT = Path(__file__).parent.parent


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_neither_the_benchmarks_nor_testkit_import_the_tests() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m == "tests" or m.startswith("tests.")
        )
        for folder in ("bench", "testkit")
        for path in sorted((ROOT / folder).glob("*.py"))
    }
    assert {path: found for path, found in offenders.items() if found} == {}


async def clone_names(admin_url: str, prefix: str) -> set[str]:
    admin = await asyncpg.connect(admin_url)
    try:
        rows = await admin.fetch(
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix
        )
    finally:
        await admin.close()
    return {row["datname"] for row in rows}


async def events_and_migrations(url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url)
    try:
        events = await conn.fetchval("SELECT count(*) FROM events")
        migrations = await conn.fetchval("SELECT count(*) FROM schema_migrations")
    finally:
        await conn.close()
    return events, migrations


async def write_an_event(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO events (stream_id, version, type, data, metadata)"
            " VALUES (gen_random_uuid(), 1, 'IncidentEdited', '{}', '{}')"
        )
    finally:
        await conn.close()


def test_each_test_database_is_a_fresh_clone_and_none_outlives_the_session(
    services: Services,
) -> None:
    template = template_name()
    asyncio.run(ensure_template(services.admin_url, template))
    migrations = asyncio.run(events_and_migrations(database_url(services.admin_url, template)))[1]
    clones = Clones(services.admin_url, template, ahead=2)
    try:
        first = clones.take()
        asyncio.run(write_an_event(first))
        clones.give_back(first)
        second = clones.take()
        assert second != first
        assert asyncio.run(events_and_migrations(second)) == (0, migrations)
        clones.give_back(second)
    finally:
        clones.close()
    # Nothing is left: neither the clones taken nor those made ahead and never used.
    assert asyncio.run(clone_names(services.admin_url, clones.prefix)) == set()
