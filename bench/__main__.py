"""Run every benchmark, then write bench/results/latest.md and latest.png.

    uv run --group bench python -m bench [--duration 5] [--rounds 3] [--only reads ...]

Benchmarks are programs, never timed tests: on a shared 2-core machine absolute figures drift,
so each one runs Herald and its baseline in the same run, alternating, and reports ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app import event_loop
from bench import arq_ceiling, bare_sender, command_path, fanout, reads, rebuild, report, servers
from bench.harness import Figure
from bench.world import world

ALL = ("reads", "command", "servers", "fanout", "rebuild")


async def http_benchmarks(args: argparse.Namespace) -> list[Figure]:
    figures: list[Figure] = []
    async with world(args.incidents) as data:
        # Reads first: the command path adds updates, which change what the page shows.
        for name, module in (("reads", reads), ("command", command_path), ("servers", servers)):
            if name in args.only:
                print(f"== {name}", flush=True)
                options = {"processes": args.processes} if module is command_path else {}
                figures += await asyncio.to_thread(
                    module.run, data, rounds=args.rounds, duration=args.duration, **options
                )
    return figures


async def fanout_benchmark(args: argparse.Namespace) -> list[Figure]:
    print("== fanout", flush=True)
    herald = Figure("notification fan-out", f"{args.subscribers} webhooks", "herald", "msgs/s")
    ceiling = Figure("notification fan-out", f"{args.subscribers} webhooks", "arq no-op", "msgs/s")
    bare = Figure("notification fan-out", f"{args.subscribers} webhooks", "bare aiohttp", "msgs/s")
    memory = Figure("notification fan-out", "peak worker RSS", "herald", "MiB")
    for _ in range(args.rounds):
        figures = await fanout.measure(fanout.options(subscribers=args.subscribers))
        herald.values.append(figures["rate"])
        memory.values.append(figures["peak_worker_mib"])
        ceiling.values.append((await arq_ceiling.measure(args.subscribers))["rate"])
        bare.values.append((await bare_sender.measure(args.subscribers))["rate"])
    return [herald, ceiling, bare, memory]


async def main(args: argparse.Namespace) -> None:
    figures = await http_benchmarks(args)
    if "fanout" in args.only:
        figures += await fanout_benchmark(args)
    if "rebuild" in args.only:
        print("== rebuild", flush=True)
        figures += await rebuild.run(events=args.events, rounds=args.rebuild_rounds)
    settings = (
        f"wrk/pgbench {args.duration:g} s per run, {args.rounds} rounds, "
        f"{args.incidents} incidents, command path served by {args.processes} process(es) "
        f"each, {args.subscribers} webhooks, {args.events} events "
        f"({args.rebuild_rounds} rebuild rounds)"
    )
    report.write(figures, "python -m bench " + " ".join(sys.argv[1:]), settings)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk/pgbench run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes for Herald and the baseline"
    )
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rebuild-rounds", type=int, default=1)
    parser.add_argument("--only", nargs="+", choices=ALL, default=list(ALL))
    # The loop Herald's worker runs on, so that the arq baseline runs on it too.
    event_loop.run(main(parser.parse_args()))
