"""A lean webhook receiver for bench/fanout.py: answers 200 and counts distinct keys.

Run as its own process so that it does not share the worker's CPU time slice by slice:
`python -m bench.receiver PORT`. GET /count answers how many distinct Idempotency-Keys came.
"""

from __future__ import annotations

import socket
import sys

import uvicorn

keys: set[bytes] = set()


async def app(scope: dict, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if scope["path"] == "/count":
        body = str(len(keys)).encode()
    else:
        body = b"ok"
        keys.add(dict(scope["headers"]).get(b"idempotency-key", b""))
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
