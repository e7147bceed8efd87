"""Events to and from the JSON stored in the log."""

from __future__ import annotations

import msgspec

from app.domain.events import Event
from app.domain.maintenance_events import MaintenanceEvent
from app.domain.values import ComponentStatus

# Every type the log holds: an incident's events and a maintenance's, told apart by their tag.
StoredEvent = Event | MaintenanceEvent

_encoder = msgspec.json.Encoder()
_event_decoder = msgspec.json.Decoder(StoredEvent)
_events_decoder = msgspec.json.Decoder(list[StoredEvent])
_component_statuses_decoder = msgspec.json.Decoder(tuple[ComponentStatus, ...])


def event_type(event: StoredEvent) -> str:
    return type(event).__name__


def encode_event(event: StoredEvent) -> str:
    # asyncpg takes jsonb parameters as text.
    return _encoder.encode(event).decode()


def decode_event(data: str) -> StoredEvent:
    return _event_decoder.decode(data)


def decode_events(data: str) -> list[StoredEvent]:
    """A JSON array of events, in one call."""
    return _events_decoder.decode(data)


def encode_json(value: object) -> str:
    return _encoder.encode(value).decode()


def decode_component_statuses(data: str) -> tuple[ComponentStatus, ...]:
    return _component_statuses_decoder.decode(data)
