"""Idempotency-Key on every write (IETF httpapi draft, Stripe's practice).

The key is scoped to the caller's organization; the fingerprint is method, path and body. The
outcome (status and resource id, or the error of a refusing rule) is stored in the same
transaction as the write's effects, so a retry either finds it or runs the write itself. A retry
with the same key and payload gets the resource rendered as it is now, marked
`Idempotent-Replayed: true`. Which errors are outcomes is decided by their kind, the same in every
dialect: only a rule's refusal is stored and replayed, through the dialect's own error map
whatever status that gives it. Anything else (a request refused before the command, a missing
object, an invalid input, a conflict, 5xx) stores nothing, so a retry runs again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, Response

from app.api.errors import IdempotencyKeyInFlight, IdempotencyKeyInvalid, IdempotencyKeyReused
from app.domain.errors import DomainError
from app.store.api_keys import Principal
from app.store.idempotency import Outcome, StoredError, find_outcome, lock_key, save_outcome

IDEMPOTENCY_HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255

Work = Callable[[asyncpg.Connection], Awaitable[UUID]]
Render = Callable[[UUID], Awaitable[Any]]


async def fingerprint_of(request: Request) -> bytes:
    digest = hashlib.sha256(f"{request.method}\0{request.url.path}\0".encode())
    digest.update(await request.body())
    return digest.digest()


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise IdempotencyKeyInvalid(
            f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} characters long."
        )
    # Headers arrive as Latin-1: a byte above 0x7F would be stored as a character the client
    # never sent, and a tab or other control character is no part of a key anybody means.
    if not (key.isascii() and key.isprintable()):
        raise IdempotencyKeyInvalid(
            "The Idempotency-Key header may hold printable ASCII characters only."
        )
    return key


def in_flight() -> IdempotencyKeyInFlight:
    return IdempotencyKeyInFlight(
        "A request with this Idempotency-Key is still being processed; retry later."
    )


def refused(fingerprint: bytes, error: DomainError) -> Outcome:
    """The outcome of a refusal, for a rule's only: anything else is raised again, unstored."""
    if error.kind != "rule":
        raise error
    # A dialect's error map, not this status, decides how a stored error is answered.
    return Outcome(fingerprint=fingerprint, status=400, error=StoredError.of(error))


async def answer(
    outcome: Outcome, fingerprint: bytes, render: Render, *, replayed: bool
) -> Response:
    """The response an outcome gives: the stored refusal, or the resource as it is now."""
    if replayed and outcome.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different request; use a new key."
        )
    if outcome.error is not None:
        raise outcome.error.to_error()
    assert outcome.resource_id is not None
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(await render(outcome.resource_id), status_code=outcome.status, headers=headers)


async def write_once(
    request: Request, principal: Principal, work: Work, render: Render, status_code: int
) -> Response:
    """Run `work` (which returns the id of the resource it wrote) at most once per key, then
    answer with `render(resource id)`. (A domain command goes through app.api.run.run_once.)"""
    key = idempotency_key(request)
    pool: asyncpg.Pool = request.app.state.write_pool
    if key is None:
        async with pool.acquire() as conn:
            resource_id = await work(conn)
        return Response(await render(resource_id), status_code=status_code)
    fingerprint = await fingerprint_of(request)
    async with pool.acquire() as conn, conn.transaction():
        if not await lock_key(conn, principal.organization_id, key):
            raise in_flight()
        outcome = await find_outcome(conn, principal.organization_id, key)
        replayed = outcome is not None
        if outcome is None:
            try:
                outcome = Outcome(
                    fingerprint=fingerprint, status=status_code, resource_id=await work(conn)
                )
            except DomainError as error:
                outcome = refused(fingerprint, error)
            await save_outcome(conn, principal.organization_id, key, outcome)
    return await answer(outcome, fingerprint, render, replayed=replayed)
