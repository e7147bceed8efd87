"""The soak's processes, and the faults it injects into them.

The API (`herald serve`), the worker (`herald worker`) and the webhook receiver run as processes
of their own on 127.0.0.1, as they would in production; Redis is a redis-server of the soak's
own, so stopping it disturbs nobody else. Each fault is written down as a window, from the
moment the dependency went away until it was back plus a grace period: only inside an API
restart may a request go unanswered or end in a 5xx.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import asyncpg
import httpx
import msgspec

from testkit.redis_server import RedisServer

# After a dependency is back, clients and pools take a moment to notice.
GRACE = 5.0
REDIS_DOWN = 10.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
FAULTS = ("worker", "redis", "api")
FAULT_NAMES = {
    "worker": "worker killed -9 and started again",
    "redis": f"Redis stopped for {REDIS_DOWN:.0f} s and started again",
    "api": "API restarted (SIGTERM, new process)",
}
WAIT_FOR_WORK = 10.0  # seconds a fault waits for deliveries under way
# The longest fault (waiting for work, Redis down 10 s, started again), for the schedule.
FAULT_TIME = 25.0


class Window(msgspec.Struct, frozen=True):
    dependency: str
    start: float  # time.time()
    end: float


class ReceiverSettings(msgspec.Struct, frozen=True):
    port: int
    records: Path  # where it writes down what arrived
    seed: int  # which deliveries it fails on purpose


class Fleet:
    """The processes under test; `windows` lists every outage, `unprompted` every process that
    exited without being told to (it is started again, and the soak fails)."""

    def __init__(
        self,
        work: Path,
        env: dict[str, str],
        redis: RedisServer,
        api_port: int,
        receiver: ReceiverSettings,
    ) -> None:
        self.work = work
        self.env = {**os.environ, **env}
        self.redis = redis
        self.api_url = f"http://127.0.0.1:{api_port}"
        self.receiver_settings = receiver
        self.api: asyncio.subprocess.Process | None = None
        self.worker: asyncio.subprocess.Process | None = None
        self.receiver: asyncio.subprocess.Process | None = None
        self.windows: list[Window] = []
        self.unprompted: list[str] = []
        self.faults: list[str] = []

    def _log(self, name: str) -> BinaryIO:
        return open(self.work / f"{name}.log", "ab")

    async def _spawn(self, name: str, *args: str) -> asyncio.subprocess.Process:
        with self._log(name) as log:
            return await asyncio.create_subprocess_exec(
                sys.executable, *args, env=self.env, stdout=log, stderr=log
            )

    async def _answers(self, url: str, process: asyncio.subprocess.Process, what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(timeout=1) as http:
            while True:
                try:
                    if (await http.get(url)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not start; see {self.work}/{what}.log")
                await asyncio.sleep(0.1)

    async def start_receiver(self) -> None:
        settings = self.receiver_settings
        self.receiver = await self._spawn(
            "receiver",
            "-m",
            "bench.soak_receiver",
            str(settings.port),
            str(settings.records),
            str(settings.seed),
        )
        await self._answers(f"http://127.0.0.1:{settings.port}/count", self.receiver, "receiver")

    async def start_api(self) -> None:
        self.api = await self._spawn("api", "-m", "app.cli", "serve", "--log-format", "console")
        await self._answers(f"{self.api_url}/healthz", self.api, "api")

    async def start_worker(self) -> None:
        self.worker = await self._spawn(
            "worker", "-m", "app.cli", "worker", "--log-format", "console"
        )

    async def start(self) -> None:
        await self.start_receiver()
        await self.start_api()
        await self.start_worker()

    @staticmethod
    async def _stop(process: asyncio.subprocess.Process | None) -> None:
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def stop(self) -> None:
        """The worker first, so that nothing is sent to a receiver that is gone."""
        for process in (self.worker, self.api, self.receiver):
            await self._stop(process)

    # Faults ------------------------------------------------------------------------------------

    async def _mid_fan_out(self) -> None:
        """Wait a little for a fan-out under way (webhooks arriving, rows leased), so that the
        fault lands in the middle of one: 1,000 webhooks take about a second here."""
        count = f"http://127.0.0.1:{self.receiver_settings.port}/count"
        conn = await asyncpg.connect(self.env["DATABASE_URL"])
        try:
            async with httpx.AsyncClient(timeout=1) as http:
                before = int((await http.get(count)).text)
                deadline = time.monotonic() + WAIT_FOR_WORK
                while time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                    now = int((await http.get(count)).text)
                    if now > before and await conn.fetchval(
                        "SELECT count(*) FROM deliveries WHERE status = 'pending'"
                        " AND lease_until > now()"
                    ):
                        return
                    before = now
        finally:
            await conn.close()

    async def kill_worker(self) -> None:
        """kill -9 mid-send: its leased rows must be sent again, under the same keys."""
        assert self.worker is not None
        await self._mid_fan_out()
        start = time.time()
        self.worker.send_signal(signal.SIGKILL)
        await self.worker.wait()
        await asyncio.sleep(1)
        await self.start_worker()
        self.windows.append(Window("worker", start, time.time() + GRACE))

    async def pause_redis(self) -> None:
        """Redis keeps nothing on disk: every queued job is lost, the rows must make up for it."""
        await self._mid_fan_out()
        start = time.time()
        await asyncio.to_thread(self.redis.stop)
        await asyncio.sleep(REDIS_DOWN)
        await asyncio.to_thread(self.redis.start)
        self.windows.append(Window("redis", start, time.time() + GRACE))

    async def restart_api(self) -> None:
        """A deploy: SIGTERM, then a new process on the same port."""
        start = time.time()
        await self._stop(self.api)
        await self.start_api()
        self.windows.append(Window("api", start, time.time() + GRACE))

    async def inject(self, fault: str) -> None:
        injections: dict[str, Callable] = {
            "worker": self.kill_worker,
            "redis": self.pause_redis,
            "api": self.restart_api,
        }
        await injections[fault]()
        self.faults.append(fault)

    async def watch(self) -> None:
        """Start again any process that exited unprompted, and write it down."""
        for name in ("receiver", "api", "worker"):
            process = getattr(self, name)
            if process is not None and process.returncode is not None:
                self.unprompted.append(f"{name} exited with {process.returncode}")
                start = time.time()
                await getattr(self, f"start_{name}")()
                self.windows.append(Window(name, start, time.time() + GRACE))


def schedule(start: float, duration: float) -> list[tuple[float, str]]:
    """When each fault happens: in turn, spaced so that each comes at least once in a minute's
    run and every ~35 s in a longer one, none running past the end of the load."""
    first = min(8.0, duration / 8)
    spacing = max(10.0, min(35.0, (duration - first - FAULT_TIME) / 2))
    times: list[tuple[float, str]] = []
    at = first
    while at + FAULT_TIME <= duration or not times:
        times.append((start + at, FAULTS[len(times) % len(FAULTS)]))
        at += spacing
    return times


async def chaos(
    fleet: Fleet,
    plan: list[tuple[float, str]],
    *,
    start: float,
    until: float,
    say: Callable[[str], None],
) -> None:
    """Inject the planned faults, watching the processes in between, until `until`."""
    for at, fault in plan:
        if at >= until:
            break
        while time.time() < at:
            await fleet.watch()
            await asyncio.sleep(0.25)
        await fleet.inject(fault)
        window = fleet.windows[-1]
        say(
            f"t+{window.start - start:.0f}s to t+{window.end - GRACE - start:.0f}s:"
            f" {FAULT_NAMES[fault]}"
        )
    while time.time() < until:
        await fleet.watch()
        await asyncio.sleep(0.25)
    await fleet.watch()
