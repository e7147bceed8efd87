"""Benchmark 2: status page reads against the same bytes served from memory by a bare handler
(bench/static_app.py) under the same server, alternating in one run.

Pages of their own organizations: three open incidents and 1, 100 or 10,000 past ones
(resolved before the page's two-week window), and one page showing 1,000 open incidents. Then
the page with 100 past incidents again while a writer posts one public update a second to it:
the rate under 64 connections, and the latency of the first read after each change. Last,
/healthz, which does nothing: the cost of the server stack every answer goes through.

    uv run --group bench python -m bench --only reads --duration 3 --rounds 2
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

from app.store.api_keys import SCOPES, create_api_key
from bench.harness import Figure, Load, serve, wrk
from bench.world import World

CONNECTIONS = 64
PAST = (1, 100, 10_000)
OPEN = 1_000
SURFACES = {"summary.json": "/api/v2/summary.json", "HTML page": ""}

# Copies of one incident under new ids: thousands are a moment's work, where the API would
# take minutes, and only copies can have been resolved weeks ago.
_COPY = """
WITH copies AS (SELECT gen_random_uuid() AS id, n FROM generate_series(1, $2) AS n),
incident AS (
    INSERT INTO incidents (id, organization_id, title, severity, status, component_ids,
        component_statuses, owner_schedule_id, version, opened_at, updated_at, resolved_at,
        published_at, public_component_statuses)
    SELECT c.id, organization_id, title || ' ' || c.n, severity, status, component_ids,
        component_statuses, owner_schedule_id, version, opened_at - $3::interval * c.n,
        updated_at - $3::interval * c.n, resolved_at - $3::interval * c.n,
        published_at - $3::interval * c.n, public_component_statuses
    FROM incidents, copies c WHERE incidents.id = $1
),
updates AS (
    SELECT gen_random_uuid() AS copy_id, c.id AS copy_of, c.n, u.*
    FROM incident_updates u, copies c WHERE u.incident_id = $1
),
update_rows AS (
    INSERT INTO incident_updates (id, incident_id, organization_id, visibility, status_change,
        status, component_statuses, notify_subscribers, posted_by_id, posted_by_name,
        posted_at, version)
    SELECT copy_id, copy_of, organization_id, visibility, status_change, status,
        component_statuses, notify_subscribers, posted_by_id, posted_by_name,
        posted_at - $3::interval * n, version
    FROM updates
)
INSERT INTO update_bodies (update_id, incident_id, body)
SELECT u.copy_id, u.copy_of, b.body FROM updates u JOIN update_bodies b ON b.update_id = u.id
"""
PAST_STEP = timedelta(days=15)  # the first copy lies before the window, the others further back


async def _page(
    conn: asyncpg.Connection, url: str, slug: str, past: int, open_: int
) -> tuple[str, str, str]:
    """An organization with a published page `slug`: its path, an open incident, a key."""
    key = await create_api_key(conn, slug, "Bench", SCOPES)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        component = (await client.post("/v1/components", json={"name": "API"})).json()["data"]
        page = {"name": slug, "slug": slug, "componentIds": [component["id"]], "published": True}
        (await client.post("/v1/status-pages", json=page)).raise_for_status()

        async def incident(n: int, *, resolve: bool) -> str:
            body = {
                "title": f"Incident {n}",
                "severity": "minor",
                "componentIds": [component["id"]],
            }
            made = (await client.post("/v1/incidents", json=body)).json()["data"]["id"]
            update = {"visibility": "public", "body": "We are investigating **elevated errors**."}
            (await client.post(f"/v1/incidents/{made}/updates", json=update)).raise_for_status()
            if resolve:
                update = {"visibility": "public", "body": "Fixed.", "statusChange": "resolved"}
                await client.post(f"/v1/incidents/{made}/updates", json=update)
            return made

        current = [await incident(n, resolve=False) for n in range(3 if past else 1)]
        if past:
            resolved = await incident(3, resolve=True)
            await conn.execute(_COPY, resolved, past, PAST_STEP)
            await conn.execute("DELETE FROM incidents WHERE id = $1", resolved)
        if open_ > 1:
            await conn.execute(_COPY, current[0], open_ - 1, timedelta(seconds=1))
    return f"/status/{slug}", current[0], key


def _seed(world: World, url: str) -> dict[str, tuple[str, str, str]]:
    """Case name -> (page path, an open incident of the page, a key of its organization)."""

    async def seed() -> dict[str, tuple[str, str, str]]:
        conn = await asyncpg.connect(world.database_url)
        try:
            cases = {}
            for past in PAST:
                cases[f"{past:,} past"] = await _page(conn, url, f"past-{past}", past, 3)
            cases[f"{OPEN:,} open"] = await _page(conn, url, "open", 0, OPEN)
            # Copies bypass the log, so nothing told the server: a rebuild-like nudge.
            await conn.execute("SELECT pg_notify('herald_pages', '*:rebuild:0')")
            return cases
        finally:
            await conn.close()

    return asyncio.run(seed())


def _writer(
    url: str, path: str, incident: str, key: str, stop: threading.Event, first_reads: list[float]
) -> None:
    """Post a public update a second; time the first read of `path` after each."""
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while not stop.is_set():
            n += 1
            update = {"visibility": "public", "body": f"Update {n}."}
            headers = {"Authorization": f"Bearer {key}"}
            client.post(f"/v1/incidents/{incident}/updates", json=update, headers=headers)
            started = time.perf_counter()
            client.get(path).raise_for_status()
            first_reads.append((time.perf_counter() - started) * 1000)
            stop.wait(1.0)


def run(world: World, *, rounds: int, duration: float) -> list[Figure]:
    figures: dict[tuple[str, str], Figure] = {}

    def figure(case: str, subject: str) -> Figure:
        key = (case, subject)
        if key not in figures:
            figures[key] = Figure("status page reads", case, subject, "req/s")
        return figures[key]

    first_read = Figure("status page reads", "first read after a change", "herald", "ms")
    with (
        tempfile.TemporaryDirectory(prefix="herald-bench-") as work,
        serve("bench.harness:herald_app", world.env()) as herald,
    ):
        cases = _seed(world, herald)
        paths = {
            f"{surface}, {case}": page + suffix
            for case, (page, _, _) in cases.items()
            for surface, suffix in SURFACES.items()
        }
        # An answer that does nothing: what the stack itself costs, against the same baseline.
        paths["/healthz, the stack's floor"] = "/healthz"
        bodies = {}
        for path in paths.values():
            response = httpx.get(herald + path, timeout=60)
            response.raise_for_status()
            bodies[path] = [response.headers["content-type"], response.text]
        pages_file = Path(work, "pages.json")
        pages_file.write_text(json.dumps(bodies))
        busy_case = f"{PAST[1]:,} past"
        busy_page, busy_incident, busy_key = cases[busy_case]
        with serve(
            "bench.static_app:create_static_app", {"BENCH_PAGES": str(pages_file)}
        ) as memory:
            for url in (herald, memory):
                wrk(url + next(iter(paths.values())), connections=4, duration=1)  # warm up
            for _ in range(rounds):
                for case, path in paths.items():
                    for subject, url in (("herald", herald), ("memory", memory)):
                        figure(case, subject).add(
                            wrk(url + path, connections=CONNECTIONS, duration=duration)
                        )
                busy = f"summary.json, {busy_case}, one update a second"
                path = busy_page + SURFACES["summary.json"]
                stop = threading.Event()
                writes: list[float] = []
                writer = threading.Thread(
                    target=_writer, args=(herald, path, busy_incident, busy_key, stop, writes)
                )
                writer.start()
                figure(busy, "herald").add(
                    wrk(herald + path, connections=CONNECTIONS, duration=duration)
                )
                stop.set()
                writer.join()
                figure(busy, "memory").add(
                    wrk(memory + path, connections=CONNECTIONS, duration=duration)
                )
                if writes:
                    first_read.add(
                        Load(
                            rate=statistics.median(writes),
                            p50_ms=statistics.median(writes),
                            p99_ms=max(writes)
                            if len(writes) < 100
                            else statistics.quantiles(writes, n=100)[98],
                        )
                    )
    return [*figures.values(), first_read]
