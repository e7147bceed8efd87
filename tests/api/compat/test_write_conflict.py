"""A write that loses a race to a writer outside Herald's stream lock: 409 in every dialect."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.domain.events import IncidentEdited
from app.domain.values import Actor
from app.store.event_store import EventMetadata, append, read_stream
from tests.api.compat.conftest import INCIDENTIO, uptimeio_url
from tests.api.conftest import Org, event_count, open_incident


def request_of(dialect: str, incident: dict, page_id: str) -> tuple[str, dict]:
    match dialect:
        case "v1":
            url = f"/v1/incidents/{incident['id']}/updates"
            return url, {"visibility": "public", "body": "Investigating."}
        case "incidentio":
            body = {
                "status_page_incident_id": incident["id"],
                "message": "Investigating.",
                "notify_subscribers": False,
            }
            return INCIDENTIO, body
        case _:
            return uptimeio_url(incident, page_id), {
                "message": "Investigating.",
                "status": "identified",
            }


def conflict_of(dialect: str, response) -> str:
    """The code the dialect's error shape carries."""
    body = response.json()
    match dialect:
        case "v1":
            return body["error"]["code"]
        case "incidentio":
            assert (body["type"], body["status"]) == ("conflict", 409)
            [error] = body["errors"]
            return error["code"]
        case _:
            assert body["success"] is False
            assert "same moment" in body["error"]["message"]
            return body["error"]["code"]


class Rival:
    """A writer that skips the incident's lock: it appends after the version a request is about
    to read, twice, on two connections, and commits each once the request's append waits on it.
    So the request loses both its tries: the first without a lock, then its retry under the
    incident's lock, which appends after the first of these and collides with the second.

    It runs on a thread of its own, since the test client holds the test's loop while a request
    is served."""

    def __init__(self, database: str, stream: uuid.UUID) -> None:
        self.database, self.stream = database, stream
        self.appended = threading.Event()

    async def _race(self) -> None:
        first, second = await asyncpg.connect(self.database), await asyncpg.connect(self.database)
        try:
            version = len(await read_stream(first, self.stream))
            actor = Actor(id=uuid.uuid4(), name="Rival")
            edits = [
                IncidentEdited(title=title, edited_by=actor, at=datetime.now(UTC))
                for title in ("Renamed", "Renamed again")
            ]
            conns = (first, second)
            transactions = [conn.transaction() for conn in conns]
            for n, (conn, transaction) in enumerate(zip(conns, transactions, strict=True)):
                await transaction.start()
                await append(conn, self.stream, version + n, [edits[n]], EventMetadata())
            self.appended.set()
            for conn, transaction in zip(conns, transactions, strict=True):
                async with asyncio.timeout(10):
                    while not await conn.fetchval(_WAITING, conn.get_server_pid()):  # noqa: ASYNC110 - PostgreSQL has no event for it
                        await asyncio.sleep(0.01)
                await transaction.commit()
        finally:
            await first.close()
            await second.close()

    def run(self) -> None:
        asyncio.run(self._race())


_WAITING = "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)))"


@pytest.mark.parametrize(
    ("dialect", "code"),
    [("v1", "write_conflict"), ("incidentio", "write_conflict"), ("uptimeio", "CONFLICT")],
)
async def test_a_write_that_loses_the_race_is_a_409_and_its_retry_succeeds(
    client: AsyncTestClient,
    org: Org,
    page_id: str,
    pool: asyncpg.Pool,
    database: str,
    dialect: str,
    code: str,
) -> None:
    incident = await open_incident(client, org)
    url, body = request_of(dialect, incident, page_id)
    headers = {**org.headers, "Idempotency-Key": f"race-{dialect}"}
    before = await event_count(pool)
    rival = Rival(database, uuid.UUID(incident["id"]))
    racing = asyncio.create_task(asyncio.to_thread(rival.run))
    assert await asyncio.to_thread(rival.appended.wait, 10)
    response = await client.post(url, json=body, headers=headers)
    await racing
    assert response.status_code == 409, response.text
    assert conflict_of(dialect, response) == code
    assert await event_count(pool) == before + 2  # the rival's edits alone

    # A conflict is not the request's outcome: the same key runs it again, on the new state.
    retried = await client.post(url, json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
