"""The data the HTTP benchmarks work on: a scratch database, a redis-server of their own, and
an organization with a key, a published page and many open incidents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import msgspec
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from app.store.api_keys import SCOPES, create_api_key
from app.store.migrate import migrate
from bench.crud_app import create_table
from testkit.databases import scratch_database
from testkit.redis_server import RedisServer

SLUG = "bench"
# Benchmarks measure the server, not the limiter: far above what one key can send here.
RATE_LIMIT = 100_000_000


class World(msgspec.Struct, frozen=True):
    database_url: str
    redis_url: str
    key: str
    slug: str
    incident_ids: list[str]

    def env(self) -> dict[str, str]:
        """The environment a Herald server process is configured by."""
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
        }

    def write_ids(self, path: Path) -> Path:
        path.write_text("\n".join(self.incident_ids) + "\n")
        return path


async def _seed(database_url: str, redis_url: str, incidents: int) -> World:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        await create_table(conn)
        key = await create_api_key(conn, "acme", "Bench", SCOPES)
    finally:
        await conn.close()
    headers = {"Authorization": f"Bearer {key}"}
    settings = Settings(
        database_url=database_url, redis_url=redis_url, rate_limit_per_minute=RATE_LIMIT
    )
    async with AsyncTestClient(create_app(settings)) as client:
        components = [
            (await client.post("/v1/components", json={"name": name}, headers=headers)).json()[
                "data"
            ]["id"]
            for name in ("API", "Dashboard", "Webhooks")
        ]
        page = await client.post(
            "/v1/status-pages",
            json={"name": "Bench", "slug": SLUG, "componentIds": components, "published": True},
            headers=headers,
        )
        assert page.status_code == 201, page.text
        ids = []
        for n in range(incidents):
            incident = await client.post(
                "/v1/incidents",
                json={
                    "title": f"Incident {n}",
                    "severity": "minor",
                    "componentIds": [components[n % len(components)]],
                },
                headers=headers,
            )
            ids.append(incident.json()["data"]["id"])
        # A few public updates so that the page shows open incidents, as during an outage.
        for incident_id in ids[:3]:
            update = await client.post(
                f"/v1/incidents/{incident_id}/updates",
                json={
                    "visibility": "public",
                    "body": "We are investigating **elevated error rates**.",
                    "componentStatuses": [],
                },
                headers=headers,
            )
            assert update.status_code == 201, update.text
    return World(database_url, redis_url, key, SLUG, ids)


@asynccontextmanager
async def world(incidents: int) -> AsyncIterator[World]:
    redis = RedisServer()
    redis.start()
    try:
        async with scratch_database() as url:
            yield await _seed(url, redis.url, incidents)
    finally:
        redis.remove()
