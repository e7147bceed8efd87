"""A page on another origin, as a widget on a company's site, reads the public JSON and feeds
with fetch(); the API and the HTML pages stay unreadable to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.browser.test_status_page_browser import TITLE, publish_an_incident
from tests.conftest import KeyMaker

if TYPE_CHECKING:
    from playwright.async_api import Browser, Expect

# The widget: what a site that embeds a status badge runs, with Herald's address filled in.
WIDGET = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Widget</title></head>
<body>
<p id="status">loading</p>
<ul id="incidents"></ul>
<script>
fetch("HERALD/status/acme/api/v2/summary.json")
  .then((response) => response.json())
  .then((summary) => {
    document.getElementById("status").textContent = summary.status.description;
    for (const incident of summary.incidents) {
      const item = document.createElement("li");
      item.textContent = incident.name;
      document.getElementById("incidents").append(item);
    }
  })
  .catch((error) => { document.getElementById("status").textContent = "failed: " + error; });
</script>
</body></html>
"""

# Resolves to what a script reads at `url`, or "blocked" when the browser keeps it from it.
READ = """async ([url, headers]) => {
  try {
    const response = await fetch(url, { headers });
    return { status: response.status, etag: response.headers.get("ETag"),
             text: await response.text() };
  } catch (error) {
    return "blocked";
  }
}"""


@pytest.fixture
def widget_site(live_server: str) -> Iterator[str]:
    """The widget's page, served by a second server on another port: another origin."""
    page = WIDGET.replace("HERALD", live_server).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass  # a test's output is no access log

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_widget_on_another_origin_reads_the_status_and_nothing_else(
    browser: Browser, expect: Expect, live_server: str, widget_site: str, make_key: KeyMaker
) -> None:
    headers = await make_key()
    await publish_an_incident(live_server, headers)
    assert urlsplit(widget_site).netloc != urlsplit(live_server).netloc

    page = await (await browser.new_context()).new_page()
    await page.goto(widget_site)
    await expect(page.locator("#incidents li")).to_have_text([TITLE])
    assert await page.locator("#status").text_content() not in ("loading", "", None)

    # If-None-Match is no header a page may send unasked: this fetch needs the preflight.
    json = f"{live_server}/status/acme/api/v2/summary.json"
    first = await page.evaluate(READ, [json, {}])
    assert first != "blocked" and first["etag"], first
    again = await page.evaluate(READ, [json, {"If-None-Match": first["etag"]}])
    assert again != "blocked" and again["status"] == 304, again
    feed = await page.evaluate(READ, [f"{live_server}/status/acme/history.atom", {}])
    assert feed != "blocked" and TITLE in feed["text"], feed

    # Neither the API, even with a key the script holds, nor the page itself.
    for url, sent in [
        (f"{live_server}/v1/incidents", headers),
        (f"{live_server}/v1/incidents", {}),
        (f"{live_server}/status/acme", {}),
    ]:
        assert await page.evaluate(READ, [url, sent]) == "blocked", url
