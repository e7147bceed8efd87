"""Read models written from the log in the same transaction as each append.

The incident row is the folded state plus what the public may see of it, and the snapshot a
command starts from; update rows follow their events, in their order, and hold the public
timeline too; component intervals follow the public component statuses. `rows_after` decides
every row, for both writers: app/store/commit.py after each command and `copy_projected` in a
rebuild (through `rows_for`), so a rebuilt table equals the live one.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg
import msgspec

from app.domain.events import Event, UpdatePosted, UpdateRedacted
from app.domain.incident import Incident
from app.domain.timeline import PublicView, advance, public_view
from app.store.codec import encode_json
from app.store.snapshot import Snapshot, encode_snapshot

INCIDENT_COLUMNS = (
    "id",
    "organization_id",
    "title",
    "severity",
    "status",
    "component_ids",
    "component_statuses",
    "owner_schedule_id",
    "version",
    "opened_at",
    "updated_at",
    "resolved_at",
    "published_at",
    "public_component_statuses",
    "snapshot",
)
UPDATE_COLUMNS = (
    "id",
    "incident_id",
    "organization_id",
    "visibility",
    "status_change",
    "status",
    "component_statuses",
    "notify_subscribers",
    "posted_by_id",
    "posted_by_name",
    "posted_at",
    "redacted_at",
    "redacted_by_id",
    "redacted_by_name",
    "version",
)
INTERVAL_COLUMNS = ("incident_id", "component_id", "status", "started_at", "ended_at")


class Rows(msgspec.Struct, frozen=True, kw_only=True):
    """What a tail of new events changes in the read models, as rows in column order.

    Rows written before the tail are changed, never rewritten, and the incident row holds
    nothing that grows with its history: a command's writes cost the same on its first update
    as on its thousandth.
    """

    incident: tuple
    updates: list[tuple]  # posted by the tail, already redacted if the tail redacts them too
    redactions: list[tuple]  # (update id, at, by id, by name) of updates posted before the tail
    intervals: list[tuple]  # opened by the tail, already closed if the tail closes them too
    interval_ends: list[tuple]  # (component id, ended at) of spans open before the tail


def rows_for(
    incident: Incident, version: int, stream: Sequence[Event], new: Sequence[Event]
) -> Rows:
    """`stream` is every event of the incident so far; `new` is its tail not yet projected."""
    return rows_after(public_view(stream[: len(stream) - len(new)]), incident, version, new)[0]


def rows_after(
    before: PublicView, incident: Incident, version: int, new: Sequence[Event]
) -> tuple[Rows, Snapshot]:
    """The rows `new` changes after a stream whose public view was `before`, and the snapshot
    the incident (`incident` at `version`, with `new` applied) leaves."""
    view = before.trimmed()
    updates: dict[UUID, list] = {}
    redactions = []
    at_version = version - len(new)
    for event in new:
        at_version += 1
        match event:
            case UpdatePosted():
                updates[event.update_id] = [
                    event.update_id,
                    incident.id,
                    incident.organization_id,
                    event.visibility,
                    event.status_change,
                    event.status_change or view.status,
                    encode_json(event.component_statuses),
                    event.notify_subscribers,
                    event.posted_by.id,
                    event.posted_by.name,
                    event.at,
                    None,
                    None,
                    None,
                    at_version,
                ]
            case UpdateRedacted() if event.update_id in updates:
                updates[event.update_id][-4:-1] = [
                    event.at,
                    event.redacted_by.id,
                    event.redacted_by.name,
                ]
            case UpdateRedacted():
                redactions.append(
                    (event.update_id, event.at, event.redacted_by.id, event.redacted_by.name)
                )
        # The rows above are the timeline's: the view need not keep one too.
        view = advance(view, event, timeline=False)
    opened = [*view.closed, *view.open_spans]
    interval_ends = []
    if before.open_spans:
        was_open = set(before.open_spans)
        interval_ends = [
            (span.component_id, span.ended_at)
            for span in view.closed
            if msgspec.structs.replace(span, ended_at=None) in was_open
        ]
        opened = [
            span for span in opened if msgspec.structs.replace(span, ended_at=None) not in was_open
        ]
    if len(opened) > 1:
        opened.sort(key=lambda span: (span.started_at, str(span.component_id)))
    snapshot = Snapshot(version=version, incident=incident, view=view.trimmed())
    rows = Rows(
        incident=(
            incident.id,
            incident.organization_id,
            incident.title,
            incident.severity,
            incident.status,
            list(incident.component_ids),
            encode_json(incident.component_statuses),
            incident.owner_schedule_id,
            version,
            incident.opened_at,
            incident.updated_at,
            incident.resolved_at,
            view.published_at,
            encode_json(incident.public_component_statuses),
            encode_snapshot(snapshot),
        ),
        updates=[tuple(row) for row in updates.values()],
        redactions=redactions,
        intervals=[
            (incident.id, span.component_id, span.status, span.started_at, span.ended_at)
            for span in opened
        ],
        interval_ends=interval_ends,
    )
    return rows, snapshot


async def copy_projected(conn: asyncpg.Connection, projected: Sequence[Rows]) -> None:
    """Write whole incidents (each projected from its first event) into tables that hold
    none of them yet, by COPY: a rebuild's many rows at once."""
    assert not any(item.redactions or item.interval_ends for item in projected), (
        "whole streams change only their own rows"
    )
    for table, columns, records in (
        ("incidents", INCIDENT_COLUMNS, [item.incident for item in projected]),
        ("incident_updates", UPDATE_COLUMNS, [r for item in projected for r in item.updates]),
        (
            "component_intervals",
            INTERVAL_COLUMNS,
            [r for item in projected for r in item.intervals],
        ),
    ):
        if records:
            await conn.copy_records_to_table(table, columns=columns, records=records)
