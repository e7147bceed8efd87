"""An incident's folded state, kept on its projected row in the same transaction as its events.

A command reads it, with the row's lock, instead of the whole stream, so its cost does not grow
with the incident's history. It is part of what `rows_for` produces: a rebuild recreates it. Its
version is the stream's at the time it was written: an append after a stale snapshot collides
with the event already at that version and fails as a write conflict.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from app.domain.incident import Incident
from app.domain.timeline import PublicView
from app.domain.values import UpdateStanding


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    incident: Incident
    view: PublicView  # trimmed: only what later events need


class Loaded(msgspec.Struct, frozen=True, kw_only=True):
    """What a command reads before it decides, in one round trip."""

    snapshot: Snapshot | None
    # The stream has events the snapshot lacks (or its row predates snapshots): fold the stream.
    stale: bool
    # The locked row was read again once the writer ahead committed: the facts below were read
    # before that commit.
    waited: bool
    published_component_ids: frozenset[UUID]
    known_component_ids: frozenset[UUID]
    standing: UpdateStanding  # of the update asked about, on this incident
    # The components of the status page asked about; None when the organization has no
    # published page with that id.
    page_component_ids: frozenset[UUID] | None


# Sets in sorted order: a rebuilt snapshot must equal the live one byte for byte.
_encoder = msgspec.json.Encoder(order="deterministic")
_decoder = msgspec.json.Decoder(Snapshot)

# The first scalar subquery locks the stream's row (an incident's, or a maintenance's); when
# it waits for another writer, PostgreSQL reads the row again as that writer committed it. The
# stream's last version tells a snapshot left behind by a writer that skipped the lock (an index
# probe, whatever the length). Catalog facts ride along when asked for.
LOAD = (
    "SELECT (SELECT coalesce(snapshot::text, '') FROM {table} WHERE id = $1 {lock})"
    " AS snapshot,"
    " (SELECT max(version) FROM events WHERE stream_id = $1) AS version,"
    " CASE WHEN $3 THEN ARRAY(SELECT DISTINCT unnest(component_ids) FROM status_pages"
    "  WHERE organization_id = $2 AND published) END AS published,"
    " CASE WHEN cardinality($4::uuid[]) > 0 THEN ARRAY(SELECT id FROM components"
    "  WHERE organization_id = $2 AND id = ANY($4::uuid[])) END AS known"
)
# An incident's command also learns where the update it names stands, and what the status page
# it comes through shows.
_STANDING = (
    ", (SELECT CASE WHEN redacted_at IS NULL THEN 'posted' ELSE 'redacted' END"
    "  FROM incident_updates WHERE id = $5 AND incident_id = $1) AS standing,"
    " (SELECT component_ids FROM status_pages"
    "  WHERE id = $6 AND organization_id = $2 AND published) AS page"
)
_LOAD_LOCKED = LOAD.format(table="incidents", lock="FOR UPDATE") + _STANDING
_LOAD_UNLOCKED = LOAD.format(table="incidents", lock="") + _STANDING


def encode_snapshot(snapshot: Snapshot) -> str:
    return _encoder.encode(snapshot).decode()


async def load(
    conn: asyncpg.Connection,
    incident_id: UUID,
    organization_id: UUID,
    *,
    lock: bool,
    published: bool = False,
    component_ids: tuple[UUID, ...] = (),
    update_id: UUID | None = None,
    page_id: UUID | None = None,
) -> Loaded:
    """Read the snapshot of `incident_id` (None for a new stream), with `lock` locking it until
    the transaction ends; with `published`, the components on the organization's published
    pages; of `component_ids`, those that are the organization's components; where the update
    `update_id` stands on the incident; the components the published page `page_id` shows."""
    row = await conn.fetchrow(
        _LOAD_LOCKED if lock else _LOAD_UNLOCKED,
        incident_id,
        organization_id,
        published,
        list(component_ids),
        update_id,
        page_id,
    )
    snapshot = _decoder.decode(row["snapshot"]) if row["snapshot"] else None
    last = row["version"] or 0
    return Loaded(
        snapshot=snapshot,
        stale=row["snapshot"] == "" or (snapshot is not None and last > snapshot.version),
        waited=snapshot is not None and last < snapshot.version,
        published_component_ids=frozenset(row["published"] or ()),
        known_component_ids=frozenset(row["known"] or ()),
        standing=row["standing"] or "absent",
        page_component_ids=None if row["page"] is None else frozenset(row["page"]),
    )
