"""What a message about one update says, read when it is sent so that redactions are honoured.

The incident is shown as that update left it (a retry an hour later still tells the same
news), while the bodies come from update_bodies as they are now: a redacted one is gone.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from app.domain.catalog import StatusPage
from app.domain.events import IncidentEdited, UpdateRedacted
from app.domain.incident import Incident, fold
from app.domain.notifications import through_update
from app.domain.public_page import PublicEntry, PublicIncident
from app.domain.timeline import first_public_update_at, public_timeline
from app.store.event_store import read_stream


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    incident: Incident
    update: PublicEntry
    public: PublicIncident  # every component of the incident; see on_page

    def carried(self) -> tuple[UUID, ...]:
        """The updates whose text a message built from this Notice shows (its timeline's): a
        redaction of any of them must stop the message."""
        return tuple(item.entry.update_id for item in self.public.entries if item.body is not None)

    def on_page(self, page: StatusPage) -> PublicIncident:
        """The incident as `page` shows it: only the components that page shows."""
        shown = set(page.component_ids)
        return msgspec.structs.replace(
            self.public,
            component_ids=tuple(cid for cid in self.public.component_ids if cid in shown),
        )


async def load_notice(
    conn: asyncpg.Connection | asyncpg.Pool, incident_id: UUID, update_id: UUID
) -> Notice | None:
    """None when the update is not a public one with a body any more: it was redacted."""
    history = [item.event for item in await read_stream(conn, incident_id)]
    events = through_update(history, update_id)
    incident = fold(events)
    published_at = first_public_update_at(events)
    if incident is None or published_at is None:
        return None
    later_redactions = [e for e in history[len(events) :] if isinstance(e, UpdateRedacted)]
    timeline = public_timeline([*events, *later_redactions])
    wanted = [e.update_id for e in timeline if e.kind == "update" and not e.redacted]
    bodies = {
        row["update_id"]: row["body"]
        for row in await conn.fetch(
            "SELECT update_id, body FROM update_bodies WHERE update_id = ANY($1::uuid[])", wanted
        )
    }
    if update_id not in bodies:
        return None
    entries = tuple(
        PublicEntry(entry=entry, body=bodies.get(entry.update_id)) for entry in timeline
    )
    public = PublicIncident(
        id=incident.id,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        opened_at=incident.opened_at,
        published_at=published_at,
        resolved_at=incident.resolved_at,
        component_ids=incident.component_ids,
        entries=entries,
        edited_at=max((e.at for e in events if isinstance(e, IncidentEdited)), default=None),
    )
    update = next(item for item in entries if item.entry.update_id == update_id)
    return Notice(incident=incident, update=update, public=public)


async def incident_version(conn: asyncpg.Connection | asyncpg.Pool, incident_id: UUID) -> int:
    """The incident stream's last version: every change to what a Notice says (a redaction
    above all) appends to the stream, so a Notice loaded after this read is good for it."""
    return await conn.fetchval("SELECT max(version) FROM events WHERE stream_id = $1", incident_id)
