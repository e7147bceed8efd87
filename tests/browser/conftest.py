"""A live Herald server on a free local port, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

import pytest
import uvicorn

from app.api.app import create_app
from app.config import Settings

if TYPE_CHECKING:
    from playwright.async_api import Browser, Expect

CHROMIUM = "/usr/bin/chromium"
# Playwright cannot download its own browsers here. These flags keep the system one headless,
# runnable as root in a container, and from calling home (which would hang offline CI).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_TIMEOUT = 15.0


def require_browser(environ: Mapping[str, str], chromium: str = CHROMIUM) -> None:
    """Skips the test when playwright or chromium is missing; under CI=true fails it instead,
    so that a green CI run always means the browser tests ran."""
    if importlib.util.find_spec("playwright") is None:
        missing = "playwright is not installed"
    elif shutil.which(chromium) is None:
        missing = f"chromium is not installed at {chromium}"
    else:
        return
    if environ.get("CI", "").lower() in {"true", "1"}:
        pytest.fail(f"{missing}; with CI set, the browser tests must run", pytrace=False)
    pytest.skip(missing)


@pytest.fixture
async def live_server(database: str, redis_url: str) -> AsyncIterator[str]:
    """Herald under uvicorn in a thread on 127.0.0.1, on this test's database; yields its URL."""
    # Bound here and handed to uvicorn, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(Settings(database_url=database, redis_url=redis_url, port=port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Herald server did not start; see the log above")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, STARTUP_TIMEOUT)
        sock.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless chromium; a test that takes it first skips or fails without it (require_browser),
    before any other fixture sets up."""
    require_browser(os.environ)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def expect(browser: Browser) -> Expect:
    """Playwright's assertions; through `browser`, so that playwright is known to be there."""
    from playwright.async_api import expect

    return expect
