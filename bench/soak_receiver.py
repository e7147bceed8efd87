"""The soak's webhook receiver: answers 200 to every POST and writes each one down first.

    python -m bench.soak_receiver PORT RECORDS SEED

Each request becomes one JSON line in RECORDS (path, Idempotency-Key, arrival time, whether the
signature verified, the body), flushed before the answer: every 2xx the worker saw has its
record, even if this process dies later. It runs in a process of its own, like a receiver
elsewhere on the network, and lives through every fault the soak injects. GET /count answers how
many requests came.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
import sys
import time

import msgspec
import uvicorn

from testkit.signatures import verify_signature

HOOK_PATH = re.compile(r"^/hooks/(\d+)$")


class Record(msgspec.Struct, frozen=True):
    path: str
    key: str
    at: float  # time.time() on arrival
    signed: bool
    body: str


def subscriber_secret(seed: int, n: int) -> str:
    """Subscriber n's webhook secret: derived, so this process needs no list of them."""
    digest = hmac.new(str(seed).encode(), f"hook-{n}".encode(), hashlib.sha256).hexdigest()
    return f"whsec_{digest}"


class Recorder:
    def __init__(self, records: str, seed: int) -> None:
        self.file = open(records, "ab")  # noqa: SIM115 - open for the process's whole life
        self.seed = seed
        self.count = 0
        self.encoder = msgspec.json.Encoder()

    def signed(self, path: str, headers: dict[bytes, bytes], body: bytes) -> bool:
        hook = HOOK_PATH.match(path)
        header = headers.get(b"herald-signature", b"").decode()
        if hook is None or not header:
            return False
        secret = subscriber_secret(self.seed, int(hook.group(1)))
        try:
            return verify_signature(secret, header, body, time.time())
        except (KeyError, ValueError):
            return False

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # Cut off mid-body (a worker killed -9): nothing was delivered.
                print(f"cut off: {scope['path']}", file=sys.stderr, flush=True)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        if scope["method"] == "GET" and scope["path"] == "/count":
            answer = str(self.count).encode()
        else:
            body = b"".join(chunks)
            headers = dict(scope["headers"])
            record = Record(
                path=scope["path"],
                key=headers.get(b"idempotency-key", b"").decode(),
                at=time.time(),
                signed=self.signed(scope["path"], headers, body),
                body=body.decode(errors="replace"),
            )
            self.file.write(self.encoder.encode(record) + b"\n")
            self.file.flush()
            self.count += 1
            answer = b"ok"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": answer})


def main(port: int, records: str, seed: int) -> None:
    # proto names TCP so that asyncio sets TCP_NODELAY (see tests/workers/services.py).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restarted on the same port
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        Recorder(records, seed), log_level="warning", lifespan="off", access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
