"""Soak with faults: mixed load on 1,000 webhook subscribers while the worker is killed -9,
Redis is stopped for 10 s and the API is restarted; then an audit of what was acknowledged,
stored and delivered.

    uv run python -m bench.soak [--duration 300] [--subscribers 1000] [--clients 6] [--seed 1]

Everything is local and bounded: a scratch database, a redis-server of its own, the API, the
worker and a recording webhook receiver as processes on 127.0.0.1, and a temporary directory;
all are removed afterwards, on Ctrl-C too (the logs and the receiver's records stay when
something failed, or with --keep). After the load, a drain phase waits (up to
--drain-timeout) for the dispatcher to catch up and every delivery to settle. The audit prints
a table of invariants and the process exits 1 if any fails.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from app.crypto import Keys
from app.embedded import free_port
from app.store.api_keys import SCOPES, create_api_key
from app.store.migrate import migrate
from bench.harness import insert_webhooks
from bench.soak_audit import audit, table
from bench.soak_chaos import Fleet, ReceiverSettings, chaos, schedule
from bench.soak_evidence import gather
from bench.soak_load import Load
from bench.soak_receiver import subscriber_secret
from testkit.databases import scratch_database
from testkit.redis_server import RedisServer

SECRET_KEY = "soak-secret-key-soak-secret-key-soak-secret"
SLUG = "soak"
RATE_LIMIT = 100_000_000  # the limiter must not shape the load


def say(line: str) -> None:
    print(line, flush=True)


async def setup(
    database_url: str, api_url: str, receiver_port: int, args: argparse.Namespace
) -> Load:
    """An organization, three components and a published page, made through the API; then the
    subscribers, written straight to the table as bench/fanout.py does (the API would send
    each a confirmation first)."""
    conn = await asyncpg.connect(database_url)
    try:
        key = await create_api_key(conn, "soak", "Soak", SCOPES)
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": ""}
        async with httpx.AsyncClient(base_url=api_url, timeout=20) as http:

            async def post(path: str, body: dict) -> dict:
                headers["Idempotency-Key"] = str(uuid.uuid4())
                response = await http.post(path, json=body, headers=headers)
                assert response.status_code == 201, response.text
                return response.json()["data"]

            components = [
                (await post("/v1/components", {"name": name}))["id"]
                for name in ("API", "Dashboard", "Webhooks")
            ]
            page = await post(
                "/v1/status-pages",
                {"name": "Soak", "slug": SLUG, "componentIds": components, "published": True},
            )
        keys = Keys(SECRET_KEY)
        await insert_webhooks(
            conn,
            page,
            (
                (
                    f"http://127.0.0.1:{receiver_port}/hooks/{n}",
                    keys.encrypt(subscriber_secret(args.seed, n)),
                )
                for n in range(args.subscribers)
            ),
        )
    finally:
        await conn.close()
    return Load(
        api_url=api_url,
        key=key,
        slug=SLUG,
        components=components,
        seed=args.seed,
        notify_interval=args.notify_interval,
    )


async def drain(database_url: str, patience: float) -> tuple[bool, float]:
    """Wait until the dispatcher has read the whole log and no delivery is pending."""
    started = time.monotonic()
    reported = started
    conn = await asyncpg.connect(database_url)
    try:
        while True:
            behind = await conn.fetchval(
                "SELECT count(*) FROM events e JOIN dispatcher_checkpoints c"
                " ON c.name = 'notifications'"
                " WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position)"
            )
            pending = await conn.fetchval(
                "SELECT count(*) FROM deliveries WHERE status = 'pending'"
            )
            elapsed = time.monotonic() - started
            if not behind and not pending:
                return True, elapsed
            if elapsed > patience:
                say(
                    f"drain: gave up after {elapsed:.0f} s:"
                    f" {behind} events unread, {pending} deliveries pending"
                )
                return False, elapsed
            if time.monotonic() - reported > 15:
                say(f"drain: {elapsed:.0f} s, {behind} events unread, {pending} deliveries pending")
                reported = time.monotonic()
            await asyncio.sleep(1)
    finally:
        await conn.close()


async def soak(args: argparse.Namespace, work: Path) -> bool:
    redis = RedisServer()
    redis.start()
    fleet: Fleet | None = None
    try:
        async with scratch_database() as url:
            conn = await asyncpg.connect(url)
            try:
                await migrate(conn)
            finally:
                await conn.close()
            api_port, receiver_port = free_port(), free_port()
            records = work / "received.jsonl"
            env = {
                "DATABASE_URL": url,
                "REDIS_URL": redis.url,
                "SECRET_KEY": SECRET_KEY,
                "RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
                "WEBHOOK_ALLOW_PRIVATE": "1",
                "HERALD_HOST": "127.0.0.1",
                "HERALD_PORT": str(api_port),
            }
            receiver = ReceiverSettings(port=receiver_port, records=records, seed=args.seed)
            fleet = Fleet(work, env, redis, api_port, receiver)
            await fleet.start()
            load = await setup(url, fleet.api_url, receiver_port, args)
            say(
                f"soak: {args.duration:g} s, {args.clients} clients, {args.subscribers} webhook"
                f" subscribers, a notifying update every {args.notify_interval:g} s at most,"
                f" seed {args.seed}"
            )
            start = time.time()
            until = start + args.duration
            plan = schedule(start, args.duration)
            await asyncio.gather(
                chaos(fleet, plan, start=start, until=until, say=say),
                *(load.client(n, until) for n in range(args.clients)),
            )
            await fleet.watch()  # a process that died at the very end must not skew the drain
            say(f"load: done after {time.time() - start:.0f} s; draining")
            drained, waited = await drain(url, args.drain_timeout)
            await fleet.stop()
            evidence = await gather(url, str(records))
            checks, lines = audit(load.journal, evidence, fleet.windows)
            unprompted = len(fleet.unprompted)
            faults = {f: fleet.faults.count(f) for f in dict.fromkeys(fleet.faults)}
            say("")
            say(
                f"faults: {faults}; processes that exited unprompted: {unprompted}"
                + (f" {fleet.unprompted}" if unprompted else "")
            )
            say(f"drain: {'settled' if drained else 'NOT settled'} after {waited:.0f} s")
            for line in lines:
                say(line)
            say("")
            say(table(checks))
            ok = all(c.ok for c in checks) and drained and not unprompted
            say("")
            say("soak: every invariant holds" if ok else "soak: INVARIANTS FAILED")
            return ok
    finally:
        if fleet is not None:
            await fleet.stop()
        redis.remove()


def main() -> None:
    args = PARSER.parse_args()
    work = Path(tempfile.mkdtemp(prefix="herald-soak-"))
    outcome = "error"
    try:
        outcome = "ok" if asyncio.run(soak(args, work)) else "failed"
    except KeyboardInterrupt:
        outcome = "interrupted"
    finally:
        if outcome in ("ok", "interrupted") and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs and receiver records kept in {work}", flush=True)
    sys.exit({"ok": 0, "failed": 1, "interrupted": 130}[outcome])


PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--duration", type=float, default=300, help="seconds of load and faults")
PARSER.add_argument("--subscribers", type=int, default=1000)
PARSER.add_argument("--clients", type=int, default=6)
PARSER.add_argument("--seed", type=int, default=1)
PARSER.add_argument(
    "--notify-interval",
    type=float,
    default=8.0,
    help="seconds between updates that notify subscribers, at least; the others do not",
)
PARSER.add_argument("--drain-timeout", type=float, default=300)
PARSER.add_argument("--keep", action="store_true", help="keep the logs and receiver records")

if __name__ == "__main__":
    main()
