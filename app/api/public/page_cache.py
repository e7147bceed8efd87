"""Rendered public pages kept in memory, one copy per page and surface, valid for one version.

A copy is served while the page's organization has the version it was rendered under (see
app/store/page_changes.py) and, unless it shows nothing that moves with the clock (an incident's
own page, a month of history), within the minute it was rendered in, since the uptime bars move
with the clock. A copy out of date is rendered again once, whatever the number of readers
waiting for it: they queue on the copy's lock and find the new one when it is their turn.
While no notification can arrive, nothing is kept and every read renders.

A page has a fixed number of surfaces, always kept; its incidents and months of history are as
many as its past, so those copies are kept in a budget of bytes, the least recently read
dropped first: the incidents people are reading (the open ones, those just linked from a
notification) stay in memory, and an old one read again is rendered once and then kept until
it changes or falls out of the budget.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.catalog import StatusPage
from app.store.page_changes import PageChanges, Version
from app.store.public_reads import find_published_page, moved_to

MAX_PAGES = 4096  # addresses remembered, published or not, before the memory is cleared
# Copies of incident pages and months of history kept per process, by their bytes (a long
# incident's page is some tens of kilobytes) and by number (each also costs its lock and key).
ITEM_BYTES = 32 * 1024 * 1024
MAX_ITEMS = 8192
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Rendered(msgspec.Struct, frozen=True, kw_only=True):
    content: bytes
    etag: str  # names these exact bytes, so every replica gives equal bytes the same one
    changed: datetime  # the last change the content shows, or the minute it was rendered in
    minute: datetime | None  # None: the content does not move with the clock
    version: Version | None


Render = Callable[[StatusPage, datetime], Awaitable[tuple[bytes, datetime]]]


def _etag(content: bytes, variant: str) -> str:
    return f'"{hashlib.sha256(content).hexdigest()[:32]}-{variant}"'


class PageCache:
    def __init__(self, pool: asyncpg.Pool, changes: PageChanges) -> None:
        self.pool = pool
        self.changes = changes
        self._pages: dict[str, tuple[Version, StatusPage | None]] = {}
        self._moved: dict[str, tuple[Version, str | None]] = {}
        self._rendered: dict[tuple[str, str], Rendered] = {}
        self._items: OrderedDict[tuple[str, str], Rendered] = OrderedDict()  # least recent first
        self._item_bytes = 0
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def page(self, slug: str) -> StatusPage | None:
        """The published page at this address, from memory while the catalog is unchanged."""
        version = self.changes.catalog_version()
        known = self._pages.get(slug)
        if known is not None and version is not None and known[0] == version:
            return known[1]
        page = await find_published_page(self.pool, slug)
        if version is not None:
            if len(self._pages) >= MAX_PAGES:
                self._pages.clear()
            self._pages[slug] = (version, page)
        return page

    async def moved(self, slug: str) -> str | None:
        """Where the published page that had this slug before is now, from memory while the
        catalog is unchanged; None when no page had it, or it is a page's current slug."""
        version = self.changes.catalog_version()
        known = self._moved.get(slug)
        if known is not None and version is not None and known[0] == version:
            return known[1]
        current = await moved_to(self.pool, slug)
        if version is not None:
            if len(self._moved) >= MAX_PAGES:
                self._moved.clear()
            self._moved[slug] = (version, current)
        return current

    async def rendered(
        self, slug: str, variant: str, render: Render, *, timeless: bool = False
    ) -> Rendered | None:
        """The page's surface as it is now; None when no published page has this address.

        A variant with a colon (``incident:ID``, ``history:MONTH``) is one of many items of the
        page, kept within ITEM_BYTES; `timeless` content is not rendered again when the minute
        turns."""
        await self.changes.settle()
        page = await self.page(slug)
        if page is None:
            return None
        key = (slug, variant)
        found = self._fresh(key, page)
        if found is not None:
            return found
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) >= MAX_PAGES + MAX_ITEMS:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            found = self._fresh(key, page)
            if found is not None:
                return found
            # Taken before reading: a change that lands during the render moves the version on,
            # and the next read renders again.
            version = self.changes.version(page.organization_id)
            now = datetime.now(UTC)
            minute = now.replace(second=0, microsecond=0)
            content, changed = await render(page, now)
            found = Rendered(
                content=content,
                etag=_etag(content, variant),
                changed=changed if timeless else max(minute, changed),
                minute=None if timeless else minute,
                version=version,
            )
            if version is not None:
                self._keep(key, found)
            return found

    def _keep(self, key: tuple[str, str], found: Rendered) -> None:
        if ":" not in key[1]:
            if len(self._rendered) >= MAX_PAGES:
                self._rendered.clear()
            self._rendered[key] = found
            return
        self._drop_item(key)
        self._items[key] = found
        self._item_bytes += len(found.content)
        while self._items and (self._item_bytes > ITEM_BYTES or len(self._items) > MAX_ITEMS):
            self._drop_item(next(iter(self._items)))

    def _drop_item(self, key: tuple[str, str]) -> None:
        dropped = self._items.pop(key, None)
        if dropped is not None:
            self._item_bytes -= len(dropped.content)

    async def cached(self, slug: str, variant: str) -> Rendered | None:
        """The copy `rendered` would answer, when it is in memory and current; None when
        answering needs a query or a render (then `rendered` does it)."""
        await self.changes.settle()
        version = self.changes.catalog_version()
        known = self._pages.get(slug)
        if known is None or known[1] is None or version is None or known[0] != version:
            return None
        return self._fresh((slug, variant), known[1])

    def _fresh(self, key: tuple[str, str], page: StatusPage) -> Rendered | None:
        found = self._rendered.get(key)
        if found is None:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
        if found is None or found.version is None:
            return None
        if found.version != self.changes.version(page.organization_id):
            return None
        minute = datetime.now(UTC).replace(second=0, microsecond=0)
        if found.minute is not None and found.minute != minute:
            return None
        return found


def track_writes(app: ASGIApp) -> ASGIApp:
    """Tell the page cache when this process has answered a write, before the client hears of
    it: its next page read then includes the change (read your own write)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                cache = getattr(scope["app"].state, "page_cache", None)
                if cache is not None:
                    cache.changes.wrote()
            await send(message)

        await app(scope, receive, sending)

    return middleware
