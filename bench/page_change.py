"""Benchmark: what a render pays to learn when a page last changed, at 1, 100 and 10,000 past
incidents: the public figure (`last_change`, what Statuspage's `page.updated_at` and
`Last-Modified` say) beside `max(updated_at)` over the same incidents, the figure it replaced,
which internal updates move too.

    uv run python -m bench.page_change [--repeat 30]

Every surface of a page pays it once per render: after each change, and each minute for what
shows the uptime bars. Past incidents are copies of one that went through the real API.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import asyncpg
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from app.store.api_keys import SCOPES, create_api_key
from app.store.migrate import migrate
from app.store.public_reads import find_published_page, last_change
from bench.reads import _COPY, PAST_STEP
from testkit.databases import scratch_database

PAST = (1, 100, 10_000)
BASELINE = (
    "SELECT max(updated_at) FROM incidents WHERE organization_id = $1"
    " AND published_at IS NOT NULL AND component_ids && $2::uuid[]"
)


async def _resolved_incident(url: str, conn: asyncpg.Connection) -> str:
    """A page "acme" with one resolved incident of four public updates; its id."""
    headers = {"Authorization": f"Bearer {await create_api_key(conn, 'acme', 'Bench', SCOPES)}"}
    async with AsyncTestClient(create_app(Settings(database_url=url))) as client:

        async def call(path: str, body: dict) -> dict:
            response = await client.post(path, json=body, headers=headers)
            response.raise_for_status()
            return response.json()["data"]

        component = (await call("/v1/components", {"name": "API"}))["id"]
        page = {"name": "Acme", "slug": "acme", "componentIds": [component], "published": True}
        await call("/v1/status-pages", page)
        opened = {"title": "Errors", "severity": "minor", "componentIds": [component]}
        incident = (await call("/v1/incidents", opened))["id"]
        for body in ("Looking.", "Found it.", "Fixing."):
            await call(f"/v1/incidents/{incident}/updates", {"visibility": "public", "body": body})
        done = {"visibility": "public", "body": "Fixed.", "statusChange": "resolved"}
        await call(f"/v1/incidents/{incident}/updates", done)
    return incident


async def _median_ms(repeat: int, work: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main(repeat: int) -> None:
    async with scratch_database() as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            incident = await _resolved_incident(url, conn)
            page = await find_published_page(conn, "acme")
            assert page is not None
            components = list(page.component_ids)
            print(f"{'past incidents':>14}  {'last_change':>12}  {'max(updated_at)':>16}  ratio")
            held = 1
            for past in PAST:
                await conn.execute(_COPY, incident, past - held, PAST_STEP)
                held = past
                await conn.execute("ANALYZE incidents")
                # Alternating, so that both see the same machine.
                ours, base = [], []
                for _ in range(3):
                    ours.append(await _median_ms(repeat, lambda: last_change(conn, page)))
                    base.append(
                        await _median_ms(
                            repeat,
                            lambda: conn.fetchval(BASELINE, page.organization_id, components),
                        )
                    )
                ours_ms, base_ms = statistics.median(ours), statistics.median(base)
                ratio = ours_ms / base_ms
                print(f"{past:>14,}  {ours_ms:>9.2f} ms  {base_ms:>13.2f} ms  {ratio:.2f}x")
        finally:
            await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="calls per measurement")
    asyncio.run(main(parser.parse_args().repeat))
