"""`herald demo`: an organization whose status page is not empty, seeded once into any database.

Everything goes through the same store functions and command handler as the API, in one
transaction, so the demo is exactly what a client could have made.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from app.domain.commands import Command, OpenIncident, PostUpdate
from app.domain.values import Actor, ComponentStatus
from app.handle import handle
from app.ids import new_id
from app.store.api_keys import ensure_member, ensure_organization
from app.store.catalog import create_component, create_status_page
from app.store.event_store import EventMetadata

ORGANIZATION = "demo"
MEMBER = "Herald demo"  # the member `herald up` mints its demo key for
PAGE_SLUG = "demo"
SEED_LOCK = "herald demo seed"


async def seed_demo(conn: asyncpg.Connection, now: datetime) -> bool:
    """Seed the demo organization unless it has its page already; returns whether it seeded.

    The example incident happened in the two hours before `now`, so that it shows among the
    page's recently resolved incidents and in today's bar.
    """
    async with conn.transaction():
        # Two first starts at once seed once.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", SEED_LOCK)
        organization_id = await ensure_organization(conn, ORGANIZATION)
        seeded = await conn.fetchval(
            "SELECT 1 FROM status_pages WHERE organization_id = $1", organization_id
        )
        if seeded:
            return False
        actor = Actor(id=await ensure_member(conn, organization_id, MEMBER), name=MEMBER)
        api = await create_component(conn, organization_id, "Public API", "REST API and webhooks")
        dashboard = await create_component(conn, organization_id, "Dashboard", None)
        await create_status_page(
            conn,
            organization_id,
            name="Demo Inc.",
            slug=PAGE_SLUG,
            component_ids=(api.id, dashboard.id),
            published=True,
        )
        incident_id = new_id()
        started = now - timedelta(hours=2)
        commands: list[Command] = [
            OpenIncident(
                incident_id=incident_id,
                organization_id=organization_id,
                title="Elevated API latency",
                severity="minor",
                component_ids=(api.id,),
                actor=actor,
                at=started,
            ),
            _update(
                incident_id,
                actor,
                started,
                "We are investigating slower responses from the API.",
                component_statuses=(ComponentStatus(api.id, "degraded_performance"),),
            ),
            _update(
                incident_id,
                actor,
                started + timedelta(minutes=25),
                "A database index rebuild is slowing queries down; we are pausing it.",
                status_change="identified",
            ),
            _update(
                incident_id,
                actor,
                started + timedelta(minutes=55),
                "Response times are back to normal. Sorry for the trouble.",
                status_change="resolved",
            ),
        ]
        for command in commands:
            await handle(conn, command, organization_id, EventMetadata(actor_id=actor.id))
        return True


def _update(incident_id: UUID, actor: Actor, at: datetime, body: str, **changes: Any) -> PostUpdate:
    return PostUpdate(
        incident_id=incident_id,
        update_id=new_id(),
        visibility="public",
        body=body,
        notify_subscribers=False,  # an example from the past: nobody is told of it
        actor=actor,
        at=at,
        **changes,
    )
