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
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from app.domain.addresses import is_public


class AddressRefused(OSError):
    """The webhook's host is, or resolves to, an address webhooks may not reach."""


def _check(host: str, addresses: Iterable[str]) -> None:
    for address in addresses:
        if not is_public(address):
            raise AddressRefused(f"{host} is {address}, not a public address")


class GuardedResolver(AbstractResolver):
    def __init__(self) -> None:
        self._inner = DefaultResolver()

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


def _guarded_socket(addr_info: AddrInfoType) -> socket.socket:
    family, type_, proto, _, address = addr_info
    _check(str(address[0]), [str(address[0])])
    return socket.socket(family=family, type=type_, proto=proto)


def webhook_session(*, allow_private: bool, timeout: float) -> aiohttp.ClientSession:
    """A client session that reaches public addresses only (unless `allow_private`), keeps no
    cookies between receivers and reads no proxy settings. How many requests are in flight, in
    all and per host, is Slots' to bound, so the connector has no limit of its own."""
    if allow_private:
        connector = aiohttp.TCPConnector(limit=0)
    else:
        connector = aiohttp.TCPConnector(
            limit=0, resolver=GuardedResolver(), socket_factory=_guarded_socket
        )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 5.0)),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        auto_decompress=False,
    )
