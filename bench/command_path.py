"""Benchmark 1: POST /v1/incidents/{id}/updates over many incidents, against a one-INSERT CRUD
endpoint on the same stack and against pgbench running that INSERT, at several concurrencies."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.crud_app import PGBENCH_SCRIPT
from bench.harness import Figure, Load, pgbench, serve, wrk
from bench.world import World

BODY = '{"visibility":"internal","body":"Rolled back; error rates are falling."}'
CONCURRENCY = (1, 16, 64)


def run(world: World, *, rounds: int, duration: float) -> list[Figure]:
    figures: dict[tuple[int, str], Figure] = {}

    def record(connections: int, subject: str, load: Load) -> None:
        figure = figures.setdefault(
            (connections, subject),
            Figure("command path", f"c={connections}", subject, "req/s"),
        )
        figure.add(load)

    with (
        tempfile.TemporaryDirectory(prefix="herald-bench-") as work,
        serve("bench.harness:herald_app", world.env()) as herald,
        serve("bench.crud_app:create_crud_app", world.env()) as crud,
    ):
        ids = world.write_ids(Path(work, "ids"))
        env = {"WRK_IDS": str(ids), "WRK_PATH": "/v1/incidents/%s/updates", "WRK_BODY": BODY}
        herald_env = {**env, "WRK_KEY": world.key}
        wrk(herald, connections=4, duration=2, env=herald_env)  # warm both up
        wrk(crud, connections=4, duration=2, env=env)
        script = PGBENCH_SCRIPT.replace(":incidents", str(len(world.incident_ids)))
        for _ in range(rounds):
            for connections in CONCURRENCY:
                # Alternating, so that drift on a shared machine hits each subject alike.
                load = wrk(herald, connections=connections, duration=duration, env=herald_env)
                record(connections, "herald", load)
                record(
                    connections,
                    "crud",
                    wrk(crud, connections=connections, duration=duration, env=env),
                )
                record(
                    connections,
                    "pgbench",
                    pgbench(world.database_url, script, clients=connections, duration=duration),
                )
    return list(figures.values())
