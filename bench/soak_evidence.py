"""What the soak's audit reads once the system has settled: the event log, update bodies,
subscribers, delivery rows and the receiver's records; and whether projections rebuilt from the
log equal the live ones."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import asyncpg
import msgspec

from app.domain.events import Event
from app.present.labels import REDACTED_NOTICE
from app.store.codec import decode_event
from app.store.rebuild import PROJECTION_TABLES, rebuild_projections
from bench.soak_load import MARKER
from bench.soak_receiver import Record
from testkit.databases import projection_rows


class Logged(msgspec.Struct, frozen=True, kw_only=True):
    stream_id: str
    version: int
    event: Event
    key: str | None  # the Idempotency-Key of the request that appended it


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    key: str
    at: float
    generated_at: float  # meta.generated_at: when the worker stamped it, just before sending
    signed: bool
    incident_id: str
    update_id: str  # the update the message is about: the newest in its timeline
    shown_redacted: frozenset[str]
    markers: frozenset[str]


class _Update(msgspec.Struct):
    id: str
    body: str


class _Incident(msgspec.Struct):
    id: str
    incident_updates: list[_Update]


class _Meta(msgspec.Struct):
    generated_at: datetime


class _Payload(msgspec.Struct):
    meta: _Meta
    incident: _Incident


class Evidence(msgspec.Struct, kw_only=True):
    log: list[Logged]
    bodies: dict[str, str]  # update id -> body, as update_bodies holds them now
    subscribers: dict[str, str]  # receiver path -> subscriber id
    # (subscriber id, update id, status) of every update delivery, in the order the dispatcher
    # wrote them (ids are UUIDv7): the order each subscriber is owed its messages in.
    rows: list[tuple[str, str, str]]
    retried: int  # delivery rows attempted more than once
    receipts: list[Receipt]
    malformed: int  # records whose body was not a webhook payload
    projection_rows: int
    projections_differ: list[str]  # tables whose rows differ after a rebuild


def read_receipts(path: str) -> tuple[list[Receipt], int]:
    receipts, malformed = [], 0
    decode_record = msgspec.json.Decoder(Record).decode
    decode_payload = msgspec.json.Decoder(_Payload).decode
    with open(path, "rb") as lines:
        for line in lines:
            record = decode_record(line)
            try:
                payload = decode_payload(record.body)
                newest = payload.incident.incident_updates[0].id
            except (msgspec.DecodeError, IndexError):
                malformed += 1
                continue
            updates = payload.incident.incident_updates
            receipts.append(
                Receipt(
                    path=record.path,
                    key=record.key,
                    at=record.at,
                    generated_at=payload.meta.generated_at.timestamp(),
                    signed=record.signed,
                    incident_id=payload.incident.id,
                    update_id=newest,
                    shown_redacted=frozenset(u.id for u in updates if u.body == REDACTED_NOTICE),
                    markers=frozenset(MARKER.findall(record.body)),
                )
            )
    return receipts, malformed


async def gather(database_url: str, records: str) -> Evidence:
    """Read everything the checks need; rebuilds the projections from the log on the way."""
    conn = await asyncpg.connect(database_url)
    try:
        log = [
            Logged(
                stream_id=str(row["stream_id"]),
                version=row["version"],
                event=decode_event(row["data"]),
                key=row["key"],
            )
            for row in await conn.fetch(
                "SELECT stream_id, version, data::text AS data,"
                " metadata->>'idempotency_key' AS key FROM events ORDER BY stream_id, version"
            )
        ]
        bodies = {
            str(row["update_id"]): row["body"]
            for row in await conn.fetch("SELECT update_id, body FROM update_bodies")
        }
        subscribers = {
            urlsplit(row["target"]).path: str(row["id"])
            for row in await conn.fetch("SELECT id, target FROM subscribers")
        }
        rows = [
            (str(row["subscriber_id"]), str(row["update_id"]), row["status"])
            for row in await conn.fetch(
                "SELECT subscriber_id, update_id, status FROM deliveries WHERE kind = 'update'"
                " ORDER BY id"
            )
        ]
        retried = await conn.fetchval("SELECT count(*) FROM deliveries WHERE attempts > 1")
        live = await projection_rows(conn)
        await rebuild_projections(conn)
        rebuilt = await projection_rows(conn)
    finally:
        await conn.close()
    receipts, malformed = read_receipts(records)
    return Evidence(
        log=log,
        bodies=bodies,
        subscribers=subscribers,
        rows=rows,
        retried=retried,
        receipts=receipts,
        malformed=malformed,
        projection_rows=sum(len(rows) for rows in live.values()),
        projections_differ=[t for t in PROJECTION_TABLES if live[t] != rebuilt[t]],
    )
