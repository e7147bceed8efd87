"""An organization with components, a published status page and a key, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import KeyMaker


class Org(msgspec.Struct):
    headers: dict[str, str]
    payments: str  # a component on the published page
    search: str  # a component on no page


@pytest.fixture
async def org(client: AsyncTestClient, make_key: KeyMaker) -> Org:
    headers = await make_key()

    async def component(name: str) -> str:
        response = await client.post("/v1/components", json={"name": name}, headers=headers)
        return response.json()["data"]["id"]

    payments, search = await component("Payments API"), await component("Search")
    response = await client.post(
        "/v1/status-pages",
        json={"name": "Acme", "slug": "acme", "componentIds": [payments], "published": True},
        headers=headers,
    )
    assert response.status_code == 201
    return Org(headers=headers, payments=payments, search=search)


async def open_incident(
    client: AsyncTestClient, org: Org, *, components: list[str] | None = None
) -> dict:
    response = await client.post(
        "/v1/incidents",
        json={
            "title": "Payments elevated error rate",
            "severity": "critical",
            "componentIds": [org.payments] if components is None else components,
        },
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def event_count(pool: asyncpg.Pool) -> int:
    """How many events the log holds: a refused request must leave it unchanged."""
    return await pool.fetchval("SELECT count(*) FROM events")


class CountingPool:
    """One of the application's pools, counting every statement sent on a connection it lends
    into `statements`."""

    def __init__(self, pool: asyncpg.Pool, statements: list[str]) -> None:
        self.pool = pool
        self.statements = statements

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    def _log(self, record: Any) -> None:
        self.statements.append(record.query)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn:
            conn.add_query_logger(self._log)
            try:
                yield conn
            finally:
                conn.remove_query_logger(self._log)


@pytest.fixture
def counted(client: AsyncTestClient) -> Iterator[CountingPool]:
    """Both pools, the reads' and the writes', counting into one list."""
    state = client.app.state
    reads = CountingPool(state.pool, [])
    state.pool, state.write_pool = reads, CountingPool(state.write_pool, reads.statements)
    yield reads
    state.pool, state.write_pool = reads.pool, state.write_pool.pool
