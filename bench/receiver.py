"""A lean webhook receiver for bench/fanout.py: answers 200 and counts distinct keys.

Run as its own process so that it does not share the worker's CPU time slice by slice:
`python -m bench.receiver PORT [HOSTS]` listens on 127.0.0.1 to 127.0.0.HOSTS (each a receiver
host of its own to the worker). GET /count answers how many distinct Idempotency-Keys came;
a POST to a path under /dead is never answered, like an endpoint that hangs.
"""

from __future__ import annotations

import asyncio
import socket
import sys

import uvicorn

keys: set[bytes] = set()


async def app(scope: dict, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if scope["path"].startswith("/dead"):
        await asyncio.Event().wait()  # until the client gives up and the server stops
    if scope["path"] == "/count":
        body = str(len(keys)).encode()
    else:
        body = b"ok"
        keys.add(dict(scope["headers"]).get(b"idempotency-key", b""))
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    port, hosts = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1
    sockets = []
    for n in range(1, hosts + 1):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind((f"127.0.0.{n}", port))
        sockets.append(sock)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
    uvicorn.Server(config).run(sockets=sockets)
