"""Webhooks reach public addresses only, checked where the connection is actually made.

A check of the URL's host before sending is not enough: DNS can answer differently a moment
later (rebinding). So the HTTP client connects through a network backend that resolves the
host itself, refuses if any answer is not public, connects to a checked address and checks the
peer it got. Redirects are never followed (see webhook.py), so a public host cannot bounce the
request inward either.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from app.domain.addresses import is_public


class AddressRefused(httpcore.ConnectError):
    """The webhook's host is, or resolves to, an address webhooks may not reach."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, allow_private: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private

    def _check(self, host: str, addresses: Iterable[str]) -> None:
        if self._allow_private:
            return
        for address in addresses:
            if not is_public(address):
                raise AddressRefused(f"{host} is {address}, not a public address")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                answers = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from error
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
        # Refuse outright if any answer is private, rather than pick a public one: a host
        # that mixes them is not one we should trust.
        self._check(host, addresses)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
                continue
            peer = stream.get_extra_info("server_addr")
            try:
                self._check(host, [str(peer[0])])
            except AddressRefused:
                await stream.aclose()
                raise
            return stream
        raise failure or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("webhooks do not reach unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def webhook_client(
    *, allow_private: bool, timeout: float, max_connections: int
) -> httpx.AsyncClient:
    """An httpx client that connects through GuardedBackend and never follows redirects."""
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    transport = httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
    # httpx takes no network backend of its own; its transport's connection pool is the one
    # place to plug it in (pinned: httpx < 1).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(allow_private),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=False,
        trust_env=False,
    )
