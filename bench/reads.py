"""Benchmark 2: the status page and its summary.json, against the same bytes served from
memory by a bare handler (bench/static_app.py) under the same server."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import httpx

from bench.harness import Figure, serve, wrk
from bench.world import World

CONNECTIONS = 16


def run(world: World, *, rounds: int, duration: float) -> list[Figure]:
    paths = {
        "summary.json": f"/status/{world.slug}/api/v2/summary.json",
        "HTML page": f"/status/{world.slug}",
    }
    figures = {
        (case, subject): Figure("status page reads", case, subject, "req/s")
        for case in paths
        for subject in ("herald", "memory")
    }
    with (
        tempfile.TemporaryDirectory(prefix="herald-bench-") as work,
        serve("bench.harness:herald_app", world.env()) as herald,
    ):
        pages = {}
        for path in paths.values():
            response = httpx.get(herald + path)
            response.raise_for_status()
            pages[path] = [response.headers["content-type"], response.text]
        pages_file = Path(work, "pages.json")
        pages_file.write_text(json.dumps(pages))
        with serve(
            "bench.static_app:create_static_app", {"BENCH_PAGES": str(pages_file)}
        ) as memory:
            for url in (herald, memory):
                wrk(url + paths["summary.json"], connections=4, duration=2)  # warm up
            for _ in range(rounds):
                for case, path in paths.items():
                    for subject, url in (("herald", herald), ("memory", memory)):
                        figures[case, subject].add(
                            wrk(url + path, connections=CONNECTIONS, duration=duration)
                        )
    return list(figures.values())
