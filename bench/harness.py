"""What the benchmarks share: server processes, wrk and pgbench runs, and median/spread figures.

Servers run as processes of their own (the way they run in production) and the load
generators are wrk and pgbench, native programs that cost the server little CPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import msgspec

from app.embedded import free_port
from app.ids import new_id

WRK_SCRIPT = Path(__file__).with_name("wrk.lua")

# The ASGI servers compared in bench/servers.py; the other benchmarks use "uvicorn".
SERVERS = {
    # What `herald serve` runs on an install without the optional speedups.
    "uvicorn-h11": ["-m", "uvicorn", "--loop", "asyncio", "--http", "h11"],
    "uvicorn": ["-m", "uvicorn", "--loop", "uvloop", "--http", "httptools"],
    "granian": ["-m", "granian", "--interface", "asgi", "--loop", "uvloop", "--no-ws"],
}


async def insert_webhooks(
    conn: asyncpg.Connection, page: Mapping[str, str], targets: Iterable[tuple[str, bytes]]
) -> None:
    """Confirmed webhook subscribers of `page` (the API's answer), one per (URL, encrypted
    secret), by COPY: thousands are a moment's work, where the API would take minutes."""
    confirmed = await conn.fetchval("SELECT now()")
    await conn.copy_records_to_table(
        "subscribers",
        columns=[
            "id",
            "organization_id",
            "status_page_id",
            "channel",
            "target",
            "secret_encrypted",
            "confirmed_at",
        ],
        records=[
            (
                new_id(),
                uuid.UUID(page["organizationId"]),
                uuid.UUID(page["id"]),
                "webhook",
                url,
                secret,
                confirmed,
            )
            for url, secret in targets
        ],
    )


def cpu_seconds(pid: int | str = "self") -> float:
    """User and system CPU time the process has used so far, from /proc: a cost that a
    machine shared with other work does not inflate, where wall-clock rates drift."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends(database_url: str) -> list[int]:
    """The pids of the PostgreSQL backends connected to the database, which runs on this
    machine."""
    name = urlsplit(database_url).path.lstrip("/")
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True)
    return [
        int(pid)
        for pid, _, title in (line.strip().partition(" ") for line in out.stdout.splitlines())
        if title.startswith("postgres: ") and f" {name} " in title
    ]


def used(pids: list[int]) -> float:
    """The CPU time these processes have used so far; one that has ended counts nothing."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            total += cpu_seconds(pid)
    return total


def memory_kib(field: str, pid: int | str = "self") -> int:
    """From /proc: VmRSS (resident now) or VmHWM (the peak since start or the last reset)."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in lines if line.startswith(f"{field}:"))


class Load(msgspec.Struct, frozen=True):
    """One load run: requests (or transactions) a second and latency percentiles."""

    rate: float
    p50_ms: float
    p99_ms: float
    errors: int = 0


class Figure(msgspec.Struct):
    """A measurement taken once per round; printed as median and spread (min-max)."""

    benchmark: str
    case: str
    subject: str  # "herald" or the baseline's name
    unit: str
    values: list[float] = msgspec.field(default_factory=list)
    p50_ms: list[float] = msgspec.field(default_factory=list)
    p99_ms: list[float] = msgspec.field(default_factory=list)
    errors: int = 0  # failed or non-2xx answers: a figure with any is not to be trusted

    def add(self, load: Load) -> None:
        self.values.append(load.rate)
        self.p50_ms.append(load.p50_ms)
        self.p99_ms.append(load.p99_ms)
        self.errors += load.errors

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self) -> str:
        return f"{min(self.values):.4g}-{max(self.values):.4g}"


def herald_app():
    """Factory for the servers: Herald configured from the environment, as `herald serve`."""
    from app.api.app import create_app
    from app.config import load_settings

    return create_app(load_settings(os.environ))


@contextmanager
def serve(
    factory: str, env: Mapping[str, str], server: str = "uvicorn", processes: int = 1
) -> Iterator[str]:
    """Run `factory` (module:function) under `server` in `processes` processes of its own
    (beside the supervisor's, when more than one), as `herald serve --workers N` does; yields
    its URL."""
    port = free_port()
    options = ["--host", "127.0.0.1", "--port", str(port), "--factory", "--log-level", "warning"]
    if processes > 1:
        options += ["--workers", str(processes)]
    process = subprocess.Popen(
        [sys.executable, *SERVERS[server], *options, "--no-access-log", factory],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{server} serving {factory} did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()  # granian may wait for requests that wrk has long given up on
            process.wait()


def threads_for(connections: int) -> int:
    return min(connections, 2)  # two cores here: more wrk threads only contend


def wrk(
    url: str, *, connections: int, duration: float, env: Mapping[str, str] | None = None
) -> Load:
    """Drive `url` with wrk and bench/wrk.lua (a GET, or POSTs when env names WRK_IDS)."""
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads_for(connections)}",
            f"-c{connections}",
            f"-d{duration:g}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_SCRIPT),
            url,
        ],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("{"))
    figures = json.loads(line)
    return Load(
        rate=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["errors"] + figures["non2xx"],
    )


def pgbench(database_url: str, script: str, *, clients: int, duration: float) -> Load:
    """Run a custom pgbench script against `database_url`; latencies from its per-transaction
    log, since pgbench prints only their mean."""
    parts = urlsplit(database_url)
    with tempfile.TemporaryDirectory(prefix="herald-pgbench-") as work:
        script_path = Path(work, "script.sql")
        script_path.write_text(script)
        result = subprocess.run(
            [
                "pgbench",
                "-n",  # no vacuum of pgbench's own tables, which do not exist here
                f"-c{clients}",
                f"-j{threads_for(clients)}",
                f"-T{max(1, round(duration))}",
                "-l",
                f"--log-prefix={work}/log",
                "-f",
                str(script_path),
                "-h",
                parts.hostname or "127.0.0.1",
                "-p",
                str(parts.port or 5432),
                "-U",
                parts.username or "postgres",
                parts.path.lstrip("/"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        latencies = sorted(
            int(line.split()[2])
            for log in Path(work).glob("log*")
            for line in log.read_text().splitlines()
        )
    tps = next(
        float(line.split()[2]) for line in result.stdout.splitlines() if line.startswith("tps")
    )
    return Load(
        rate=tps,
        p50_ms=latencies[len(latencies) // 2] / 1000,
        p99_ms=latencies[int(len(latencies) * 0.99)] / 1000,
    )
