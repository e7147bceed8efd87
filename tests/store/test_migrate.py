"""`herald migrate`: idempotent and safe when several replicas start at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg

from app.domain.commands import OpenIncident, PostUpdate, RedactUpdate
from app.domain.timeline import TimelineEntry
from app.domain.values import Actor, ComponentStatus
from app.handle import handle
from app.store.codec import decode_component_statuses, encode_json
from app.store.event_store import EventMetadata
from app.store.migrate import BASELINE, migrate, migration_files
from testkit.databases import scratch_database
from tests.conftest import Services


async def test_migrate_twice_applies_once(services: Services) -> None:
    async with scratch_database(admin_url=services.admin_url) as url:
        conn = await asyncpg.connect(url)
        try:
            assert await migrate(conn) == [BASELINE]
            assert await migrate(conn) == []
            names = await conn.fetch("SELECT name FROM schema_migrations")
            # schema.sql already holds every numbered migration, so they count as applied.
            expected = [BASELINE, *(path.stem for path in migration_files())]
            assert sorted(row["name"] for row in names) == sorted(expected)
        finally:
            await conn.close()


async def test_concurrent_migrations_serialize(services: Services) -> None:
    async with scratch_database(admin_url=services.admin_url) as url:
        conns = [await asyncpg.connect(url) for _ in range(4)]
        try:
            results = await asyncio.gather(*(migrate(conn) for conn in conns))
            assert sorted(results) == [[], [], [], [BASELINE]]
            assert await conns[0].fetchval("SELECT count(*) FROM events") == 0
        finally:
            for conn in conns:
                await conn.close()


async def test_an_older_database_gets_public_component_statuses_from_its_public_timelines(
    services: Services,
) -> None:
    api, db = uuid.UUID(int=10), uuid.UUID(int=11)
    at = datetime(2025, 4, 7, 9, 0, tzinfo=UTC)

    def said(*statuses: ComponentStatus) -> TimelineEntry:
        return TimelineEntry(
            update_id=uuid.uuid4(),
            kind="update",
            status="investigating",
            at=at,
            component_statuses=statuses,
        )

    incidents = {
        # (status, what the team set, what the public timeline said) -> what the public sees
        "told": (
            "identified",
            [ComponentStatus(api, "full_outage")],
            [
                said(ComponentStatus(db, "full_outage"), ComponentStatus(api, "partial_outage")),
                said(ComponentStatus(db, "degraded_performance")),
            ],
            [ComponentStatus(api, "partial_outage"), ComponentStatus(db, "degraded_performance")],
        ),
        "internal only": ("identified", [ComponentStatus(api, "full_outage")], [said()], []),
        "resolved": (
            "resolved",
            [ComponentStatus(api, "operational"), ComponentStatus(db, "operational")],
            [said(ComponentStatus(api, "partial_outage"))],
            [ComponentStatus(api, "operational"), ComponentStatus(db, "operational")],
        ),
    }
    async with scratch_database(admin_url=services.admin_url) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            # As schema.sql made it before the column existed.
            await conn.execute(
                "ALTER TABLE incidents DROP COLUMN public_component_statuses;"
                " ALTER TABLE incidents ADD COLUMN public_timeline jsonb NOT NULL;"
                " DELETE FROM schema_migrations WHERE name = '0001_public_component_statuses'"
            )
            ids = {}
            for title, (status, team, timeline, _) in incidents.items():
                ids[title] = await conn.fetchval(
                    "INSERT INTO incidents (id, organization_id, title, severity, status,"
                    " component_ids, component_statuses, version, opened_at, updated_at,"
                    " published_at, public_timeline)"
                    " VALUES (gen_random_uuid(), gen_random_uuid(), $1, 'minor', $2, $3, $4, 1,"
                    " $5, $5, $5, $6) RETURNING id",
                    title,
                    status,
                    [api, db],
                    encode_json(team),
                    at,
                    encode_json(timeline),
                )
            assert await migrate(conn) == ["0001_public_component_statuses"]
            for title, (*_, public) in incidents.items():
                shown = await conn.fetchval(
                    "SELECT public_component_statuses::text FROM incidents WHERE id = $1",
                    ids[title],
                )
                assert decode_component_statuses(shown) == tuple(public), title
        finally:
            await conn.close()


async def test_an_older_database_gets_update_versions_and_folds_its_streams_again(
    services: Services,
) -> None:
    organization, incident = uuid.uuid4(), uuid.uuid4()
    actor = Actor(id=uuid.uuid4(), name="Alice Chen")
    at = datetime(2025, 4, 7, 9, 0, tzinfo=UTC)
    updates = [uuid.uuid4() for _ in range(3)]
    async with scratch_database(admin_url=services.admin_url) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            opened = OpenIncident(
                incident_id=incident,
                organization_id=organization,
                title="Payments down",
                severity="major",
                component_ids=(),
                actor=actor,
                at=at,
            )
            await handle(conn, opened, organization, EventMetadata())
            for update_id in updates:
                posted = PostUpdate(
                    incident_id=incident,
                    update_id=update_id,
                    visibility="internal",
                    body="Looking",
                    actor=actor,
                    at=at,
                )
                await handle(conn, posted, organization, EventMetadata())
            # As schema.sql made it before: no versions on updates, a timeline on the incident.
            await conn.execute(
                "ALTER TABLE incident_updates DROP COLUMN version;"
                " ALTER TABLE incidents ADD COLUMN public_timeline jsonb NOT NULL DEFAULT '[]';"
                " DELETE FROM schema_migrations WHERE name = '0005_flat_command_history'"
            )
            assert await migrate(conn) == ["0005_flat_command_history"]
            rows = await conn.fetch(
                "SELECT id FROM incident_updates WHERE incident_id = $1 ORDER BY version", incident
            )
            assert [row["id"] for row in rows] == updates
            assert await conn.fetchval("SELECT snapshot FROM incidents") is None
            redact = RedactUpdate(incident_id=incident, update_id=updates[1], actor=actor, at=at)
            handled = await handle(conn, redact, organization, EventMetadata())
            assert handled.version == 5
        finally:
            await conn.close()


async def test_an_older_database_keeps_its_subscribers_hearing_incidents_only(
    services: Services,
) -> None:
    async with scratch_database(admin_url=services.admin_url) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            # As schema.sql made it before subscribers chose what they hear.
            await conn.execute(
                "ALTER TABLE deliveries DROP COLUMN component_change_id;"
                " ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;"
                " ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check"
                "     CHECK (kind IN ('update', 'confirmation'));"
                " DROP TABLE component_changes;"
                " ALTER TABLE subscribers DROP COLUMN notify_incidents,"
                "     DROP COLUMN notify_maintenances, DROP COLUMN notify_component_changes;"
                " DELETE FROM schema_migrations WHERE name = '0010_subscriber_preferences'"
            )
            org, page = uuid.uuid4(), uuid.uuid4()
            await conn.execute("INSERT INTO organizations (id, slug) VALUES ($1, 'acme')", org)
            await conn.execute(
                "INSERT INTO status_pages (id, organization_id, name, slug)"
                " VALUES ($1, $2, 'Acme', 'acme')",
                page,
                org,
            )
            await conn.execute(
                "INSERT INTO subscribers (id, organization_id, status_page_id, channel, target,"
                " confirmed_at) VALUES (gen_random_uuid(), $1, $2, 'email', 'a@b.co', now())",
                org,
                page,
            )
            assert await migrate(conn) == ["0010_subscriber_preferences"]
            row = await conn.fetchrow(
                "SELECT notify_incidents, notify_maintenances, notify_component_changes"
                " FROM subscribers"
            )
            assert tuple(row) == (True, True, False)
            assert await migrate(conn) == []
        finally:
            await conn.close()
