"""Events to and from the JSON stored in the log."""

from __future__ import annotations

import msgspec

from app.domain.events import Event
from app.domain.values import ComponentStatus

_encoder = msgspec.json.Encoder()
_event_decoder = msgspec.json.Decoder(Event)
_component_statuses_decoder = msgspec.json.Decoder(tuple[ComponentStatus, ...])


def event_type(event: Event) -> str:
    return type(event).__name__


def encode_event(event: Event) -> str:
    # asyncpg takes jsonb parameters as text.
    return _encoder.encode(event).decode()


def decode_event(data: str) -> Event:
    return _event_decoder.decode(data)


def encode_json(value: object) -> str:
    return _encoder.encode(value).decode()


def decode_component_statuses(data: str) -> tuple[ComponentStatus, ...]:
    return _component_statuses_decoder.decode(data)
