"""Fan-out of one update to N webhooks, measured end to end on this machine.

    uv run python -m bench.fanout --subscribers 10000 [--workers 1] [--hosts 1] [--dead 0]

Everything is local and bounded: a scratch database, a redis-server of its own, a receiver
process on 127.0.0.1 and `herald worker` processes; it stops by itself (--timeout) and cleans
up. It prints the time from the update's commit to the first message received and to the last
delivery row settling, and the largest peak RSS of a worker process. --hosts spreads the
subscribers over receiver hosts 127.0.0.1 to 127.0.0.N (one process serves them all); --dead
adds subscribers on the first host whose endpoint never answers, and the figures then count
the healthy ones only.
--component-changes runs it twice, the second time with subscribers that also hear component
changes and an update that changes a component: two messages each, beside the first run's one.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from app import event_loop
from app.api.app import create_app
from app.config import Settings
from app.crypto import Keys, new_webhook_secret
from app.embedded import free_port
from app.store.api_keys import create_api_key
from app.store.migrate import migrate
from bench import arq_ceiling, bare_sender
from bench.harness import backends, cpu_seconds, insert_webhooks, memory_kib, used
from testkit.databases import scratch_database
from testkit.redis_server import RedisServer

SECRET_KEY = "bench-secret-key-bench-secret-key-bench"


async def setup(
    settings: Settings,
    receiver_port: int,
    subscribers: int,
    hosts: int = 1,
    dead: int = 0,
    component_changes: bool = False,
) -> tuple[dict, str]:
    conn = await asyncpg.connect(settings.database_url)
    await migrate(conn)
    key = await create_api_key(conn, "acme", "Bench", ("incidents:write", "subscribers:write"))
    headers = {"Authorization": f"Bearer {key}"}
    async with AsyncTestClient(create_app(settings)) as client:
        component = await client.post("/v1/components", json={"name": "API"}, headers=headers)
        component_id = component.json()["data"]["id"]
        created = await client.post(
            "/v1/status-pages",
            json={
                "name": "Acme",
                "slug": "acme",
                "componentIds": [component_id],
                "published": True,
            },
            headers=headers,
        )
        page = created.json()["data"]
        incident = await client.post(
            "/v1/incidents",
            json={"title": "Bench", "severity": "major", "componentIds": [component_id]},
            headers=headers,
        )
    secret = Keys(SECRET_KEY).encrypt(new_webhook_secret())
    urls = [f"http://127.0.0.{n % hosts + 1}:{receiver_port}/hooks/{n}" for n in range(subscribers)]
    urls += [f"http://127.0.0.1:{receiver_port}/dead/{n}" for n in range(dead)]
    await insert_webhooks(conn, page, ((url, secret) for url in urls))
    if component_changes:
        await conn.execute("UPDATE subscribers SET notify_component_changes = true")
    await conn.close()
    return headers, incident.json()["data"]["id"], component_id


async def measure(args: argparse.Namespace) -> dict:
    """One fan-out, end to end; returns its figures."""
    redis = RedisServer()
    redis.start()
    receiver_port = free_port()
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.receiver", str(receiver_port), str(args.hosts)
    )
    workers: list[asyncio.subprocess.Process] = []
    try:
        async with scratch_database() as url:
            settings = Settings(
                database_url=url,
                redis_url=redis.url,
                secret_key=SECRET_KEY,
                webhook_allow_private=True,
                worker_max_jobs=args.max_jobs,
                delivery_batch=args.batch,
            )
            changes = args.component_changes
            headers, incident_id, component_id = await setup(
                settings, receiver_port, args.subscribers, args.hosts, args.dead, changes
            )
            owed = args.subscribers * (2 if changes else 1)
            code = (
                "from app.config import Settings; from workers.runner import run; "
                f"run(Settings(database_url={url!r}, redis_url={redis.url!r}, "
                f"secret_key={SECRET_KEY!r}, webhook_allow_private=True, "
                f"worker_max_jobs={args.max_jobs}, delivery_batch={args.batch}))"
            )
            if args.profile:
                code = (
                    "import cProfile, atexit, time; "
                    "_p = cProfile.Profile(time.process_time); _p.enable(); "
                    f"atexit.register(lambda: (_p.disable(), _p.dump_stats({args.profile!r}))); "
                    + code
                )
            workers = [
                await asyncio.create_subprocess_exec(
                    sys.executable, "-c", code, stderr=asyncio.subprocess.DEVNULL, cwd=args.code
                )
                for _ in range(args.workers)
            ]
            await _workers_listening(url, len(workers))
            async with AsyncTestClient(create_app(settings)) as client:
                cpu = sum(cpu_seconds(worker.pid) for worker in workers)
                # Per backend: a worker's pool may open more while the fan-out runs.
                database_cpu = {pid: used([pid]) for pid in backends(url)}
                started = time.monotonic()
                response = await client.post(
                    f"/v1/incidents/{incident_id}/updates",
                    json={
                        "visibility": "public",
                        "body": "Bench update.",
                        "componentStatuses": [
                            {"componentId": component_id, "status": "partial_outage"}
                        ],
                    },
                    headers=headers,
                )
                assert response.status_code == 201, response.text
            conn = await asyncpg.connect(url)
            first = None
            # The receiver's count is watched until every message came, and only then the
            # rows until they settle: a count over the rows ten times a second would cost
            # PostgreSQL as much CPU as a good part of the fan-out it measures.
            async with httpx.AsyncClient() as http:
                count_url = f"http://127.0.0.1:{receiver_port}/count"
                while time.monotonic() - started < args.timeout:
                    came = int((await http.get(count_url)).text)
                    if came and first is None:
                        first = time.monotonic() - started
                    if came >= owed:
                        break
                    await asyncio.sleep(0.05)
            while time.monotonic() - started < args.timeout:
                done = await conn.fetchval(
                    "SELECT count(*) FROM deliveries d JOIN subscribers s"
                    " ON s.id = d.subscriber_id WHERE d.status <> 'pending'"
                    " AND s.target NOT LIKE '%/dead/%'"
                )
                if done >= owed:
                    break
                await asyncio.sleep(0.02)
            elapsed = time.monotonic() - started
            # The backends' CPU is read before the bench asks for its own figures.
            own = conn.get_server_pid()
            database_cpu = sum(
                used([pid]) - database_cpu.get(pid, 0.0) for pid in backends(url) if pid != own
            )
            delivered = await conn.fetchval(
                "SELECT count(*) FROM deliveries WHERE status = 'delivered'"
            )
            if args.timeline:  # deliveries per second, from the first one
                rows = await conn.fetch(
                    "SELECT second, count(*) FROM (SELECT floor(extract(epoch FROM"
                    " delivered_at - min(delivered_at) OVER ()))::int AS second"
                    " FROM deliveries WHERE status = 'delivered') t GROUP BY 1 ORDER BY 1"
                )
                print(" ".join(f"{row['second']}:{row['count']}" for row in rows), flush=True)
                # Where the time before the first send goes: the update's commit, the
                # dispatcher's transaction that writes the rows, the first rows marked queued,
                # the first claim, the first delivery.
                stages = await conn.fetchrow(
                    "SELECT (SELECT max(recorded_at) FROM events) AS posted,"
                    " min(created_at) AS rows, min(enqueued_at) AS queued,"
                    " min(last_attempt_at) AS claimed, min(delivered_at) AS delivered"
                    " FROM deliveries"
                )
                steps = list(stages.items())
                print(
                    ", ".join(
                        f"{name} +{(at - before).total_seconds():.2f} s"
                        for (_, before), (name, at) in itertools.pairwise(steps)
                    ),
                    flush=True,
                )
                # How long the dispatcher took to write every row, chunk by chunk (created_at
                # is when each chunk's transaction began), beside the sends.
                chunks = await conn.fetch(
                    "SELECT created_at, count(*) FROM deliveries GROUP BY 1 ORDER BY 1"
                )
                span = (chunks[-1]["created_at"] - chunks[0]["created_at"]).total_seconds()
                print(f"rows written in {len(chunks)} transactions over {span:.2f} s", flush=True)
                # A late tail is either messages tried again (and why) or rows left waiting.
                tries = await conn.fetch(
                    "SELECT attempts, count(*), max(last_error) AS error FROM deliveries"
                    " GROUP BY attempts ORDER BY attempts"
                )
                print(
                    "attempts: "
                    + ", ".join(
                        f"{row['attempts']} x {row['count']}"
                        + (f" ({row['error']})" if row["error"] else "")
                        for row in tries
                    ),
                    flush=True,
                )
            await conn.close()
            async with httpx.AsyncClient() as http:
                received = (await http.get(f"http://127.0.0.1:{receiver_port}/count")).text
            peak_kib = max(memory_kib("VmHWM", worker.pid) for worker in workers)
            cpu = sum(cpu_seconds(worker.pid) for worker in workers) - cpu
            return {
                "peak_worker_mib": peak_kib / 1024,
                "first": first,
                "delivered": delivered,
                "elapsed": elapsed,
                "rate": delivered / elapsed,
                "received": int(received),
                "cpu_ms": 1000 * cpu / max(delivered, 1),
                "database_cpu_ms": 1000 * database_cpu / max(delivered, 1),
            }
    finally:
        for process in [*workers, receiver]:
            process.terminate()
            await process.wait()
        redis.remove()


async def _workers_listening(url: str, workers: int) -> None:
    """Wait until every worker's dispatcher listens for new events: a worker still importing
    on a busy machine would otherwise count as delivery time."""
    conn = await asyncpg.connect(url)
    try:
        while True:
            listening = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
            if listening >= workers:
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


def options(**overrides: object) -> argparse.Namespace:
    """The command line's defaults with `overrides`, for bench/__main__.py."""
    return argparse.Namespace(**{**vars(PARSER.parse_args([])), **overrides})


async def main(args: argparse.Namespace) -> None:
    if args.component_changes:
        await compare_component_changes(args)
        return
    """Herald and, with --baselines, the bare sender and arq's drain, alternating round by
    round; the medians and their ratios at the end."""
    rates: dict[str, list[float]] = {"herald": [], "bare aiohttp": [], "arq no-op": []}
    cpu: dict[str, list[float]] = {"herald": [], "bare aiohttp": []}
    for _ in range(args.rounds):
        figures = await measure(args)
        rates["herald"].append(figures["rate"])
        cpu["herald"].append(figures["cpu_ms"])
        print(
            f"{args.subscribers} webhooks on {args.hosts} host(s) + {args.dead} dead, "
            f"{args.workers} worker(s), batch {args.batch}, "
            f"max_jobs {args.max_jobs}: first received after {figures['first']:.2f} s, "
            f"{figures['delivered']} delivered in {figures['elapsed']:.2f} s "
            f"({figures['rate']:.0f}/s, {figures['cpu_ms']:.2f} ms of worker CPU and "
            f"{figures['database_cpu_ms']:.2f} ms of PostgreSQL CPU each); "
            f"receiver saw {figures['received']} distinct keys; "
            f"worker peak RSS {figures['peak_worker_mib']:.0f} MiB",
            flush=True,
        )
        if not args.baselines:
            continue
        bare = await bare_sender.measure(args.subscribers, args.hosts)
        rates["bare aiohttp"].append(bare["rate"])
        cpu["bare aiohttp"].append(bare["cpu_ms"])
        ceiling = await arq_ceiling.measure(args.subscribers, args.max_jobs)
        rates["arq no-op"].append(ceiling["rate"])
        print(
            f"  bare aiohttp sender: {bare['rate']:.0f}/s ({bare['cpu_ms']:.2f} ms CPU each);"
            f" arq no-op drain: {ceiling['rate']:.0f} jobs/s ({ceiling['cpu_ms']:.2f} ms CPU each)",
            flush=True,
        )
    if args.baselines:
        herald = statistics.median(rates["herald"])
        for name in ("bare aiohttp", "arq no-op"):
            baseline = statistics.median(rates[name])
            ratio = herald / baseline
            print(f"median herald {herald:.0f}/s, {name} {baseline:.0f}/s: {ratio:.2f}x")
        print(
            f"median CPU per message: herald {statistics.median(cpu['herald']):.2f} ms,"
            f" bare aiohttp {statistics.median(cpu['bare aiohttp']):.2f} ms"
        )


async def compare_component_changes(args: argparse.Namespace) -> None:
    """Incident messages alone, then with a component change each, in the same run."""
    alone = await measure(argparse.Namespace(**{**vars(args), "component_changes": False}))
    both = await measure(args)
    for name, figures in (("incident only", alone), ("incident + component change", both)):
        print(
            f"{args.subscribers} webhooks, {name}: {figures['delivered']} delivered in "
            f"{figures['elapsed']:.2f} s ({figures['rate']:.0f}/s); receiver saw "
            f"{figures['received']} distinct keys; worker peak RSS "
            f"{figures['peak_worker_mib']:.0f} MiB"
        )
    print(f"messages/s with component changes / incident only: {both['rate'] / alone['rate']:.2f}")


PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--subscribers", type=int, default=10_000)
PARSER.add_argument("--workers", type=int, default=1)
PARSER.add_argument("--batch", type=int, default=50)
PARSER.add_argument("--max-jobs", type=int, default=20)
PARSER.add_argument("--hosts", type=int, default=1, help="receiver hosts, 127.0.0.1 to .N")
PARSER.add_argument("--dead", type=int, default=0, help="subscribers that are never answered")
PARSER.add_argument("--timeout", type=float, default=300)
PARSER.add_argument("--profile", help="write the worker's cProfile stats to this file")
PARSER.add_argument(
    "--component-changes",
    action="store_true",
    help="compare with subscribers that also hear the update's component change",
)
PARSER.add_argument("--rounds", type=int, default=1)
PARSER.add_argument(
    "--code", help="run the workers from this checkout: another version, against the same bench"
)
PARSER.add_argument("--timeline", action="store_true", help="print deliveries per second")
PARSER.add_argument(
    "--baselines", action="store_true", help="also the bare sender and arq's no-op drain"
)

if __name__ == "__main__":
    event_loop.run(main(PARSER.parse_args()))
