"""`herald serve --workers N`: N processes answer on one port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.embedded import free_port


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def test_serve_with_two_workers_answers_from_two_processes(database: str, redis_url: str) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": redis_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        answered = None
        while time.monotonic() < deadline:
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert answered is not None and answered.status_code == 200
        # uvicorn's supervisor, and beside its resource tracker, the two serving processes.
        serving = [
            child
            for child in children(server.pid)
            if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text()
            and "resource_tracker" not in Path(f"/proc/{child}/cmdline").read_text()
        ]
        assert len(serving) == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
