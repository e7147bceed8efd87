"""Benchmark 4: `herald projections rebuild` over a large generated log: events a second and
the peak memory of the process, against reading and decoding the same log (the replay's input,
without folding or projecting).

    uv run python -m bench.rebuild --events 1000000

The log is made by copying one incident that went through the real API (so that every event
is one Herald wrote) with fresh incident and update ids, by COPY in batches. Each measurement
runs in a child process of its own, whose high-water mark is reset just before the work
(/proc/self/clear_refs), so that the peak is the work's and not the imports'.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from app.ids import new_id
from app.store.api_keys import SCOPES, create_api_key
from app.store.codec import decode_event
from app.store.migrate import migrate
from app.store.pool import connected
from app.store.rebuild import rebuild_projections
from bench.harness import Figure, memory_kib
from testkit.databases import scratch_database
from testkit.redis_server import RedisServer

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COPY_BATCH = 50_000


async def _template(database_url: str, redis_url: str) -> str:
    """One incident's life through the API: public and internal updates, component statuses,
    each status change, resolved. Returns its id."""
    conn = await asyncpg.connect(database_url)
    await migrate(conn)
    key = await create_api_key(conn, "acme", "Bench", SCOPES)
    await conn.close()
    headers = {"Authorization": f"Bearer {key}"}
    settings = Settings(database_url=database_url, redis_url=redis_url)
    async with AsyncTestClient(create_app(settings)) as client:

        async def post(path: str, body: dict) -> dict:
            response = await client.post(path, json=body, headers=headers)
            assert response.status_code == 201, response.text
            return response.json()["data"]

        component = (await post("/v1/components", {"name": "API"}))["id"]
        await post(
            "/v1/status-pages",
            {"name": "Bench", "slug": "bench", "componentIds": [component], "published": True},
        )
        incident = (
            await post(
                "/v1/incidents",
                {"title": "Elevated errors", "severity": "major", "componentIds": [component]},
            )
        )["id"]
        updates = f"/v1/incidents/{incident}/updates"
        statuses = [{"componentId": component, "status": "partial_outage"}]
        await post(
            updates,
            {"visibility": "public", "body": "Investigating.", "componentStatuses": statuses},
        )
        await post(updates, {"visibility": "internal", "body": "Paged the payments team."})
        await post(
            updates, {"visibility": "public", "body": "Found it.", "statusChange": "identified"}
        )
        await post(updates, {"visibility": "internal", "body": "Rollback started."})
        await post(
            updates, {"visibility": "public", "body": "Fixed.", "statusChange": "monitoring"}
        )
        await post(
            updates, {"visibility": "public", "body": "All good.", "statusChange": "resolved"}
        )
    return incident


async def generate(database_url: str, redis_url: str, events: int) -> int:
    """Fill the log with copies of one real incident until it holds about `events` events."""
    template_id = await _template(database_url, redis_url)
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT version, type, data::text AS data, metadata::text AS metadata FROM events"
            " WHERE stream_id = $1 ORDER BY version",
            template_id,
        )
        bodies = await conn.fetch(
            "SELECT update_id::text AS id, body FROM update_bodies WHERE incident_id = $1",
            template_id,
        )
        # Ids to renew per copy: the incident's and its updates'; the organization, component
        # and member stay, as in one busy organization.
        renewed = {template_id, *(UUID_TEXT.findall(" ".join(r["data"] for r in rows)))}
        renewed -= {m for r in rows for m in _kept_ids(r["type"], r["data"])}
        copies = max(1, events // len(rows))

        def batches() -> Iterator[tuple[list[tuple], list[tuple]]]:
            event_rows: list[tuple] = []
            body_rows: list[tuple] = []
            for _ in range(copies):
                fresh = {old: str(new_id()) for old in renewed}
                pattern = re.compile("|".join(map(re.escape, fresh)))
                swap = fresh.__getitem__
                stream = fresh[template_id]
                for row in rows:
                    data = pattern.sub(lambda match, swap=swap: swap(match[0]), row["data"])
                    event_rows.append((stream, row["version"], row["type"], data, row["metadata"]))
                for body in bodies:
                    body_rows.append((fresh[body["id"]], stream, body["body"]))
                if len(event_rows) >= COPY_BATCH:
                    yield event_rows, body_rows
                    event_rows, body_rows = [], []
            if event_rows:
                yield event_rows, body_rows

        for event_rows, body_rows in batches():
            await conn.copy_records_to_table(
                "events",
                columns=["stream_id", "version", "type", "data", "metadata"],
                records=event_rows,
            )
            await conn.copy_records_to_table(
                "update_bodies", columns=["update_id", "incident_id", "body"], records=body_rows
            )
        await conn.execute("VACUUM ANALYZE events")
        return await conn.fetchval("SELECT count(*) FROM events")
    finally:
        await conn.close()


def _kept_ids(event_type: str, data: str) -> set[str]:
    """The ids in an event that name the organization, a component or a member."""
    fields = json.loads(data)
    kept = {fields.get("organization_id")}
    kept |= set(fields.get("component_ids") or [])
    kept |= {s["component_id"] for s in fields.get("component_statuses") or []}
    for actor in ("opened_by", "posted_by", "edited_by", "redacted_by"):
        if fields.get(actor):
            kept.add(fields[actor]["id"])
    return {k for k in kept if k}


def _reset_peak() -> int:
    """Start the high-water mark again from what is resident now; returns that, in KiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return memory_kib("VmRSS")


async def _measure(kind: str, database_url: str) -> dict:
    before_kib = _reset_peak()
    conn = await asyncpg.connect(database_url)
    try:
        started = time.perf_counter()
        if kind == "herald":
            events = await rebuild_projections(conn, another=lambda: connected(database_url))
        else:
            events = 0
            async with conn.transaction():
                async for row in conn.cursor(
                    "SELECT data::text AS data FROM events ORDER BY position", prefetch=5000
                ):
                    decode_event(row["data"])
                    events += 1
        seconds = time.perf_counter() - started
    finally:
        await conn.close()
    peak_kib = memory_kib("VmHWM")
    return {
        "events": events,
        "seconds": seconds,
        "peak_mib": peak_kib / 1024,
        "added_mib": (peak_kib - before_kib) / 1024,
    }


def measure(kind: str, database_url: str) -> dict:
    """Run one measurement in a child process; returns its figures."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.rebuild", "--child", kind, database_url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


async def run(*, events: int, rounds: int) -> list[Figure]:
    rate = {s: Figure("projection rebuild", "events/s", s, "events/s") for s in ("herald", "read")}
    memory = {s: Figure("projection rebuild", "peak RSS", s, "MiB") for s in ("herald", "read")}
    added = {
        s: Figure("projection rebuild", "RSS added by the work", s, "MiB")
        for s in ("herald", "read")
    }
    redis = RedisServer()
    redis.start()
    try:
        async with scratch_database() as url:
            total = await generate(url, redis.url, events)
            print(f"rebuild: generated {total} events", flush=True)
            for _ in range(rounds):
                for subject, kind in (("herald", "herald"), ("read", "read")):
                    figures = await asyncio.to_thread(measure, kind, url)
                    rate[subject].values.append(figures["events"] / figures["seconds"])
                    memory[subject].values.append(figures["peak_mib"])
                    added[subject].values.append(figures["added_mib"])
    finally:
        redis.remove()
    return [*rate.values(), *memory.values(), *added.values()]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_measure(*args.child))))
    else:
        for figure in asyncio.run(run(events=args.events, rounds=args.rounds)):
            print(f"{figure.subject} {figure.case}: {figure.median:.4g} ({figure.spread()})")
