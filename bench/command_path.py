"""Benchmark 1: POST /v1/incidents/{id}/updates against a one-INSERT CRUD endpoint on the same
stack (and pgbench running that INSERT), at several concurrencies.

Herald's requests are public updates with componentStatuses on a published page, one in five
with an Idempotency-Key of its own. They go to many incidents, and separately to a few fresh
incidents and to as many with 1,000 events each, which must cost the same. The statements one
command sends are counted on its connection.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from app.domain.commands import PostUpdate
from app.domain.values import Actor, ComponentStatus
from app.handle import handle
from app.store.event_store import EventMetadata
from app.store.idempotency import Keyed, Outcome, claim_key
from bench.crud_app import PGBENCH_SCRIPT
from bench.harness import Figure, Load, pgbench, serve, wrk
from bench.world import World

# An internal update, the body the CRUD baseline and the other benchmarks post.
BODY = '{"visibility":"internal","body":"Rolled back; error rates are falling."}'
CONCURRENCY = (1, 16, 64)
HISTORY = 1000  # events of each "long" incident
FEW = 16  # incidents in the fresh and the long set
KEYED_EVERY = 5
META = EventMetadata()


def _body(component_id: uuid.UUID) -> str:
    return json.dumps(
        {
            "visibility": "public",
            "body": "Rolled back; error rates are falling.",
            "componentStatuses": [
                {"componentId": str(component_id), "status": "degraded_performance"}
            ],
        }
    )


def _post(incident_id: uuid.UUID, component_id: uuid.UUID, n: int) -> PostUpdate:
    return PostUpdate(
        incident_id=incident_id,
        update_id=uuid.uuid4(),
        visibility="public",
        body=f"Update {n}",
        component_statuses=(
            ComponentStatus(
                component_id=component_id, status=("degraded_performance", "partial_outage")[n % 2]
            ),
        ),
        actor=Actor(id=uuid.uuid4(), name="Bench"),
        at=datetime.now(UTC),
    )


async def _prepare(
    world: World,
) -> tuple[uuid.UUID, list[str], list[str], list[str], tuple[int, int]]:
    """The component the updates name, the incidents of that component (many, fresh, long),
    and the statements one command sends to a long incident, without and with a key."""
    pool = await asyncpg.create_pool(world.database_url, min_size=8, max_size=8)
    try:
        rows = await pool.fetch(
            "SELECT id, organization_id, component_ids[1] AS component FROM incidents"
            " WHERE id = ANY($1::uuid[]) ORDER BY id",
            world.incident_ids,
        )
        component = rows[0]["component"]
        mine = [row for row in rows if row["component"] == component]
        organization_id = rows[0]["organization_id"]
        many, fresh, long = mine[: -2 * FEW], mine[-2 * FEW : -FEW], mine[-FEW:]

        async def fill(incident_id: uuid.UUID) -> None:
            async with pool.acquire() as conn:
                for n in range(HISTORY // 2):  # an update adds two events
                    await handle(
                        conn, _post(incident_id, component, n), organization_id, EventMetadata()
                    )

        await asyncio.gather(*(fill(row["id"]) for row in long))
        statements: list[str] = []

        def log(record: asyncpg.connection.LoggedQuery) -> None:
            statements.append(record.query)

        async def unkeyed(conn: asyncpg.Connection, n: int) -> None:
            await handle(conn, _post(long[0]["id"], component, n), organization_id, META)

        async def keyed(conn: asyncpg.Connection, n: int) -> None:
            """What the API does for a request with an Idempotency-Key (app/api/run.py)."""
            key = f"bench-{uuid.uuid4()}"
            await claim_key(conn, organization_id, key)
            command = _post(long[0]["id"], component, n)
            outcome = Outcome(fingerprint=b"", status=201, resource_id=command.update_id)
            stored = Keyed(organization_id=organization_id, key=key, outcome=outcome)
            await handle(conn, command, organization_id, META, keyed=stored)

        counts = []
        async with pool.acquire() as conn:
            await unkeyed(conn, 1)  # asyncpg learns the statements' types once per connection
            await keyed(conn, 2)
            for n, send in ((3, unkeyed), (4, keyed)):
                conn.add_query_logger(log)
                await send(conn, n)
                await asyncio.sleep(0.1)  # asyncpg calls query loggers soon, not at once
                conn.remove_query_logger(log)  # before the pool's own reset on release
                counts.append(len(statements))
                statements.clear()
        ids = [[str(row["id"]) for row in chosen] for chosen in (many, fresh, long)]
        return component, *ids, counts
    finally:
        await pool.close()


def run(world: World, *, rounds: int, duration: float, processes: int = 1) -> list[Figure]:
    """Herald and the one-INSERT handler each served by `processes` processes."""
    figures: dict[tuple[str, int, str], Figure] = {}

    def record(case: str, connections: int, subject: str, load: Load) -> None:
        figure = figures.setdefault(
            (case, connections, subject),
            Figure("command path", f"{case} c={connections}", subject, "req/s"),
        )
        figure.add(load)

    component, many, fresh, long, (unkeyed, keyed) = asyncio.run(_prepare(world))
    trips = Figure("command path", "statements per command", "herald", "statements")
    trips.add(Load(rate=unkeyed, p50_ms=0, p99_ms=0))
    keyed_trips = Figure(
        "command path", "statements per command with Idempotency-Key", "herald", "statements"
    )
    keyed_trips.add(Load(rate=keyed, p50_ms=0, p99_ms=0))
    with (
        tempfile.TemporaryDirectory(prefix="herald-bench-") as work,
        serve("bench.harness:herald_app", world.env(), processes=processes) as herald,
        serve("bench.crud_app:create_crud_app", world.env(), processes=processes) as crud,
    ):

        def ids_file(name: str, ids: list[str]) -> str:
            path = Path(work, name)
            path.write_text("\n".join(ids) + "\n")
            return str(path)

        common = {"WRK_PATH": "/v1/incidents/%s/updates"}
        crud_env = {
            **common,
            "WRK_IDS": str(world.write_ids(Path(work, "all"))),
            "WRK_BODY": BODY,
        }
        herald_env = {
            **common,
            "WRK_KEY": world.key,
            "WRK_BODY": _body(component),
            "WRK_KEYED_EVERY": str(KEYED_EVERY),
        }
        cases = {
            "many incidents": {**herald_env, "WRK_IDS": ids_file("many", many)},
            "fresh incidents": {**herald_env, "WRK_IDS": ids_file("fresh", fresh)},
            f"{HISTORY}-event incidents": {**herald_env, "WRK_IDS": ids_file("long", long)},
        }
        wrk(herald, connections=4, duration=2, env=cases["many incidents"])  # warm both up
        wrk(crud, connections=4, duration=2, env=crud_env)
        script = PGBENCH_SCRIPT.replace(":incidents", str(len(world.incident_ids)))
        for _ in range(rounds):
            for connections in CONCURRENCY:
                # Alternating, so that drift on a shared machine hits each subject alike.
                for case, env in cases.items():
                    if case == "many incidents" or connections > 1:
                        record(
                            case,
                            connections,
                            "herald",
                            wrk(herald, connections=connections, duration=duration, env=env),
                        )
                record(
                    "many incidents",
                    connections,
                    "crud",
                    wrk(crud, connections=connections, duration=duration, env=crud_env),
                )
                record(
                    "many incidents",
                    connections,
                    "pgbench",
                    pgbench(world.database_url, script, clients=connections, duration=duration),
                )
    return [*figures.values(), trips, keyed_trips]
