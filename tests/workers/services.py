"""Real local services for the notification tests: a webhook receiver that checks signatures
and an SMTP server, both on 127.0.0.1 and free ports."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import msgspec
import uvicorn
from aiosmtpd.controller import Controller

from app.embedded import free_port
from testkit.signatures import verify_signature


class Received(msgspec.Struct):
    path: str
    key: str
    body: dict[str, Any]
    signed: bool
    headers: dict[str, str]


Answer = Callable[[str, int], int]  # (path, how many times this path was called) -> status


class Receiver:
    """An ASGI webhook receiver served by uvicorn: checks each signature, counts each key."""

    def __init__(self) -> None:
        # Bound now, and handed to uvicorn at start: no other process can take the port between.
        # proto must name TCP for asyncio to set TCP_NODELAY on accepted connections; without
        # it every answer waits out the client's delayed ACK (40 ms).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.secrets: dict[str, str] = {}
        self.received: list[Received] = []  # answered 2xx
        self.attempts: list[tuple[str, str]] = []  # (path, Idempotency-Key) of every request
        self.answer: Answer = lambda path, count: 200
        self.delay = 0.0
        self.slow: dict[tuple[str, int], float] = {}  # (path, nth call) -> its own delay
        self._calls: Counter[str] = Counter()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def keys(self) -> Counter[str]:
        return Counter(item.key for item in self.received)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        secret = self.secrets.get(path)
        signed = secret is not None and verify_signature(
            secret, headers.get("herald-signature", ""), body, time.time()
        )
        self._calls[path] += 1
        self.attempts.append((path, headers.get("idempotency-key", "")))
        status = self.answer(path, self._calls[path])
        if delay := self.slow.get((path, self._calls[path]), self.delay):
            await asyncio.sleep(delay)
        if 200 <= status < 300:
            self.received.append(
                Received(
                    path, headers.get("idempotency-key", ""), json.loads(body), signed, headers
                )
            )
        extra = [(b"location", b"http://127.0.0.1:1/elsewhere")] if 300 <= status < 400 else []
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": b"ok"})

    async def start(self) -> None:
        config = uvicorn.Config(self, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task


class Mailbox:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it is given."""

    def __init__(self, *, smtputf8: bool = True) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()  # recipients answered with 550
        self.delay = 0.0  # seconds before each message is accepted
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
