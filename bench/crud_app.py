"""The command path's baseline: what a team would write without event sourcing.

One litestar handler on asyncpg that decodes the same body as Herald's
POST /v1/incidents/{id}/updates and INSERTs one row for it; nothing else (no key, no log, no
projections). Served by bench/harness.py as `bench.crud_app:create_crud_app`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg
import msgspec
from litestar import Litestar, get, post
from litestar.datastructures import State

from app.ids import new_id
from app.store.pool import create_pool

DDL = """
CREATE TABLE IF NOT EXISTS crud_updates (
    id               uuid PRIMARY KEY,
    incident_id      uuid NOT NULL,
    visibility       text NOT NULL,
    body             text,
    status_change    text,
    created_at       timestamptz NOT NULL DEFAULT now()
)
"""
INSERT = (
    "INSERT INTO crud_updates (id, incident_id, visibility, body, status_change)"
    " VALUES ($1, $2, $3, $4, $5) RETURNING created_at"
)
# The same INSERT for pgbench, with an incident id drawn from -D incidents=N.
PGBENCH_SCRIPT = (
    "\\set n random(1, :incidents)\n"
    "INSERT INTO crud_updates (id, incident_id, visibility, body, status_change)"
    " VALUES (gen_random_uuid(), md5(:n::text)::uuid, 'public', 'Bench update.', NULL);\n"
)


class UpdateIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    visibility: str
    body: str | None = None
    status_change: str | None = None


async def create_table(conn: asyncpg.Connection) -> None:
    await conn.execute(DDL)


@post("/v1/incidents/{incident_id:uuid}/updates", status_code=201)
async def post_update(incident_id: UUID, data: UpdateIn, state: State) -> dict:
    update_id = new_id()
    created_at = await state.pool.fetchval(
        INSERT, update_id, incident_id, data.visibility, data.body, data.status_change
    )
    return {
        "data": {
            "id": str(update_id),
            "incidentId": str(incident_id),
            "visibility": data.visibility,
            "body": data.body,
            "statusChange": data.status_change,
            "createdAt": created_at.isoformat(),
        }
    }


@get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


def create_crud_app() -> Litestar:
    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        # The same pool size as the one Herald runs commands on: neither has more connections.
        app.state.pool = await create_pool(os.environ["DATABASE_URL"])
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar([post_update, healthz], lifespan=[database], logging_config=None)
