"""Where a Herald server spends its time under load: py-spy samples the server process while
wrk drives one hot path, and writes a flame graph (SVG) and py-spy's top functions, with the
CPU each request cost the server and its PostgreSQL backends.

    uv run --group bench python -m bench.profile command [--seconds 15] [--native]
    uv run --group bench python -m bench.profile reads

py-spy reads the process from outside, so the figures include no profiler overhead in the
server; it needs ptrace: run as root or with CAP_SYS_PTRACE.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
from pathlib import Path

from bench.command_path import BODY
from bench.harness import backends, serve, used, wrk
from bench.world import world

RESULTS = Path(__file__).with_name("results")


def server_pid(url: str) -> int:
    """The pid listening on `url`'s port (serve() keeps its Popen to itself)."""
    port = url.rsplit(":", 1)[1]
    out = subprocess.run(
        ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split("pid=", 1)[1].split(",", 1)[0])


def record(pid: int, seconds: int, output: Path, fmt: str, native: bool) -> subprocess.Popen:
    return subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "200",
            "--format",
            fmt,
            "--output",
            str(output),
            # py-spy unwinds native stacks only with the process paused.
            *(["--native"] if native else ["--nonblocking"]),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def profile(
    path: str, url: str, env: dict[str, str], database_url: str, args: argparse.Namespace
) -> None:
    """`path` is the one URL path wrk asks for, or empty when its Lua script (`env`) makes
    the requests."""
    pid = server_pid(url)
    wrk(url + path, connections=4, duration=2, env=env)  # warm up
    RESULTS.mkdir(exist_ok=True)
    svg = RESULTS / f"profile-{args.path}.svg"
    with tempfile.TemporaryDirectory(prefix="herald-profile-") as work:
        raw = Path(work, "samples.txt")
        # Two recorders pausing the process at once would get in each other's way.
        spies = [record(pid, args.seconds, raw, "raw", args.native)]
        if not args.native:
            spies.append(record(pid, args.seconds, svg, "flamegraph", native=False))
        server, database = [pid], backends(database_url)
        before = used(server), used(database)
        figures = wrk(url + path, connections=args.connections, duration=args.seconds, env=env)
        after = used(server), used(database)
        for spy in spies:
            spy.wait()
        print(
            f"{figures.rate:.0f} req/s while sampled ({figures.errors} errors or non-2xx), "
            f"p50 {figures.p50_ms:.1f} ms, p99 {figures.p99_ms:.1f} ms; flame graph: {svg}"
        )
        # CPU per request on each side of the connection: on a machine whose cores PostgreSQL
        # shares, its share of a command counts against the API's rate as much as the API's.
        # Sampling slows the server, so the API's share reads high.
        requests = figures.rate * args.seconds
        print(
            f"CPU per request: API process {1000 * (after[0] - before[0]) / requests:.2f} ms, "
            f"its {len(database)} PostgreSQL backends "
            f"{1000 * (after[1] - before[1]) / requests:.2f} ms"
        )
        print_top(raw, args.top)


def print_top(raw: Path, top: int) -> None:
    """Self sample shares per function, and total shares of Herald's own functions (the
    server's and the loop's frames hold every sample and say nothing), from py-spy's
    collapsed stacks."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        samples += n
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            if "(app/" in frame:
                total[frame] = total.get(frame, 0) + n
    for title, table in (("self time", own), ("total time, Herald's lines", total)):
        print(f"-- top {top} by {title} ({samples} samples)")
        for frame, n in sorted(table.items(), key=lambda item: -item[1])[:top]:
            print(f"{100 * n / samples:5.1f}%  {frame}")


async def main(args: argparse.Namespace) -> None:
    async with world(args.incidents) as data:
        with tempfile.TemporaryDirectory(prefix="herald-bench-") as work:
            if args.path == "command":
                ids = data.write_ids(Path(work, "ids"))
                env = {
                    "WRK_IDS": str(ids),
                    "WRK_PATH": "/v1/incidents/%s/updates",
                    "WRK_BODY": BODY,
                    "WRK_KEY": data.key,
                }
                path = ""
            else:
                env = {}
                path = f"/status/{data.slug}/api/v2/summary.json"
            with serve("bench.harness:herald_app", data.env()) as url:
                await asyncio.to_thread(profile, path, url, env, data.database_url, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", choices=("command", "reads"))
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    # C and Cython frames too (asyncpg's encoding, the socket writes beneath a send), without
    # the flame graph; the sampled process runs slower while py-spy pauses it.
    parser.add_argument("--native", action="store_true")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main(parser.parse_args()))
