"""The fan-out's second baseline: a bare aiohttp sender, POSTing N messages to the same receiver
hosts with the same per-host cap (and overall bound) as Herald's worker, and nothing else: no
database, no queue, no signing, one body for all.

    uv run python -m bench.bare_sender --subscribers 10000 [--hosts 1]

It starts its own receiver (bench/receiver.py) and sends from a child process of its own, on the
worker's event loop, so that it competes for the CPU as a worker process does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

import aiohttp

from app import event_loop
from app.embedded import free_port
from bench.harness import cpu_seconds
from workers.delivery.slots import PER_HOST, Slots

# About the size of a webhook of bench/fanout.py's update.
BODY = b'{"meta": {}, "incident": {"name": "' + b"x" * 1500 + b'"}}'


async def send_all(urls: list[str], total: int) -> dict:
    """POST BODY to every URL, at most PER_HOST per host and `total` in all; returns the
    seconds it took and the CPU seconds it used."""
    slots = Slots(total, PER_HOST)
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=1.0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def ready() -> None:
            return None

        async def post(n: int, url: str) -> None:
            async with slots.hold(url, ready):
                headers = {"Content-Type": "application/json", "Idempotency-Key": str(n)}
                async with session.post(url, data=BODY, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status

        started, cpu = time.perf_counter(), cpu_seconds()
        async with asyncio.TaskGroup() as group:
            for n, url in enumerate(urls):
                group.create_task(post(n, url))
        return {"seconds": time.perf_counter() - started, "cpu": cpu_seconds() - cpu}


def urls(port: int, subscribers: int, hosts: int) -> list[str]:
    """The receiver addresses bench/fanout.py gives its subscribers."""
    return [f"http://127.0.0.{n % hosts + 1}:{port}/hooks/{n}" for n in range(subscribers)]


async def measure(subscribers: int, hosts: int = 1, total: int = 100) -> dict:
    """One run against a fresh receiver; returns its figures."""
    port = free_port()
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.receiver", str(port), str(hosts)
    )
    try:
        await asyncio.sleep(1.5)  # let the receiver bind
        child = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "bench.bare_sender",
                "--child",
                str(port),
                "--subscribers",
                str(subscribers),
                "--hosts",
                str(hosts),
                "--total",
                str(total),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(child.stdout.splitlines()[-1])
        return {
            "elapsed": figures["seconds"],
            "rate": subscribers / figures["seconds"],
            "cpu_ms": 1000 * figures["cpu"] / subscribers,
        }
    finally:
        receiver.terminate()
        await receiver.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--total", type=int, default=100, help="requests in flight in all")
    parser.add_argument("--child", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        targets = urls(args.child, args.subscribers, args.hosts)
        print(json.dumps(event_loop.run(send_all(targets, args.total))))
    else:
        print(event_loop.run(measure(args.subscribers, args.hosts, args.total)))
