"""Webhooks reach public addresses only, checked where the connection is actually made.

A check of the URL's host before sending is not enough: DNS can answer differently a moment
later (rebinding). So the HTTP client resolves through a resolver that refuses a host if any of
its answers is not public, and creates every socket through a factory that checks the very
address it is about to connect to (which also covers hosts written as IP addresses, which need
no resolving). Redirects are never followed (see webhook.py), so a public host cannot bounce
the request inward either.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from app.domain.addresses import is_public


class AddressRefused(OSError):
    """The webhook's host is, or resolves to, an address webhooks may not reach."""


def _check(host: str, addresses: Iterable[str]) -> None:
    for address in addresses:
        try:
            # A zone index names an interface of this machine: no webhook needs one.
            public = "%" not in address and is_public(address)
        except ValueError:  # not an address at all, whatever the URL parser let through
            public = False
        if not public:
            named = address if host == address else f"{host} is {address}, which"
            raise AddressRefused(f"{named} is not a public address")


class GuardedResolver(AbstractResolver):
    """Resolves through getaddrinfo in a thread (as aiohttp does without aiodns), then refuses
    the host unless every answer is public."""

    def __init__(self) -> None:
        # Not DefaultResolver: it would switch to aiodns if that got installed, and the
        # connector does not close a resolver it was given; this one has nothing to close.
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        # Refuse outright if any answer is private, rather than pick a public one: a host
        # that mixes them is not one we should trust.
        _check(host, [answer["host"] for answer in answers])
        return answers

    async def close(self) -> None:
        await self._inner.close()


def _guarded_socket(addr_info: aiohttp.AddrInfoType) -> socket.socket:
    family, type_, proto, _, address = addr_info
    _check(str(address[0]), [str(address[0])])
    return socket.socket(family=family, type=type_, proto=proto)


def webhook_session(*, allow_private: bool, timeout: float) -> aiohttp.ClientSession:
    """A client session that reaches public addresses only (unless `allow_private`), keeps no
    cookies between receivers and reads no proxy settings. How many requests are in flight, in
    all and per host, is Slots' to bound, so the connector has no limit of its own."""
    # An idle connection is kept for a second only: long enough for the next message of a
    # fan-out to the same receiver, shorter than servers' own idle timeouts (a POST sent on a
    # connection the server is closing fails), and few stay open in a fan-out to many hosts.
    guard = (
        {} if allow_private else {"resolver": GuardedResolver(), "socket_factory": _guarded_socket}
    )
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=1.0, **guard)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 5.0)),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        # Answers are not read beyond what keeps the connection reusable: none is decoded.
        auto_decompress=False,
        skip_auto_headers=("Accept-Encoding",),
    )
