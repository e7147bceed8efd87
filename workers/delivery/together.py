"""Questions from every job of a worker process, answered together: one statement per round.

A fan-out sends thousands of messages side by side, and each wants a word with PostgreSQL (its
outcome recorded, its update checked for a redaction). Asked one by one, those statements
cost more than the sends; asked together, a round answers everything that came in since the
last one began. A question asked while a round is on its way waits for the next round, so an
answer always comes from a statement that started after the question was asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import asyncpg

Q = TypeVar("Q")
A = TypeVar("A")

Answer = Callable[[asyncpg.Connection, Sequence[Q]], Awaitable[Sequence[A]]]


class Together(Generic[Q, A]):
    def __init__(
        self,
        pool: asyncpg.Pool,
        answer: Answer[Q, A],  # one answer per question, in their order
        *,
        linger: float = 0.0,  # seconds a round waits for more questions before it starts
        at_most: int = 1000,  # questions per round
    ) -> None:
        self._pool = pool
        self._answer = answer
        self._linger = linger
        self._at_most = at_most
        self._waiting: list[tuple[Q, asyncio.Future[A]]] = []
        self._rounds: asyncio.Task[None] | None = None

    async def ask(self, question: Q) -> A:
        future: asyncio.Future[A] = asyncio.get_running_loop().create_future()
        self._waiting.append((question, future))
        if self._rounds is None:
            self._rounds = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        """Rounds on one connection, back to back, while questions keep coming."""
        try:
            async with self._pool.acquire() as conn:
                while self._waiting:
                    if self._linger:
                        await asyncio.sleep(self._linger)
                    batch = self._waiting[: self._at_most]
                    del self._waiting[: self._at_most]
                    try:
                        answers = await self._answer(conn, [q for q, _ in batch])
                    except BaseException as error:
                        _fail(batch, error)
                        raise
                    for (_, future), answer in zip(batch, answers, strict=True):
                        if not future.done():
                            future.set_result(answer)
        except BaseException as error:
            # The connection may be broken: whoever still waits hears of it, and asks again.
            waiting, self._waiting = self._waiting, []
            _fail(waiting, error)
            if not isinstance(error, Exception):
                raise
        finally:
            # Questions asked while the connection went back start the next rounds.
            self._rounds = asyncio.create_task(self._run()) if self._waiting else None


def _fail(batch: list[tuple[Q, asyncio.Future[A]]], error: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            if isinstance(error, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(error)
