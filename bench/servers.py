"""Benchmark 5: the same Herald app under uvicorn with h11 (what `herald serve` runs without
the optional speedups), uvicorn with uvloop and httptools, and granian."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.command_path import BODY
from bench.harness import SERVERS, Figure, serve, wrk
from bench.world import World

CONNECTIONS = 16


def run(world: World, *, rounds: int, duration: float) -> list[Figure]:
    figures = {
        (case, server): Figure("ASGI servers", case, server, "req/s")
        for case in ("GET summary.json", "POST update")
        for server in SERVERS
    }
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as work, ExitStack() as stack:
        urls = {
            server: stack.enter_context(serve("bench.harness:herald_app", world.env(), server))
            for server in SERVERS
        }
        ids = world.write_ids(Path(work, "ids"))
        post = {
            "WRK_IDS": str(ids),
            "WRK_PATH": "/v1/incidents/%s/updates",
            "WRK_BODY": BODY,
            "WRK_KEY": world.key,
        }
        summary = f"/status/{world.slug}/api/v2/summary.json"
        for url in urls.values():
            wrk(url + summary, connections=4, duration=1)  # warm up
        for _ in range(rounds):
            for server, url in urls.items():
                figures["GET summary.json", server].add(
                    wrk(url + summary, connections=CONNECTIONS, duration=duration)
                )
                figures["POST update", server].add(
                    wrk(url, connections=CONNECTIONS, duration=duration, env=post)
                )
    return list(figures.values())
