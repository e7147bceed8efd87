"""Cursor pagination: lists are ordered by id and a cursor is the last id a page showed."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

import msgspec

from app.api.errors import RequestInvalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 100

T = TypeVar("T")


class PageRequest(msgspec.Struct, frozen=True):
    last_seen: UUID | None
    limit: int


def page_request(cursor: str | None, limit: str | None) -> PageRequest:
    size = DEFAULT_LIMIT
    if limit is not None:
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise RequestInvalid(
                "The query failed validation.",
                [("limit", f"limit must be an integer from 1 to {MAX_LIMIT}")],
            )
        size = int(limit)
    if cursor is None:
        return PageRequest(None, size)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return PageRequest(UUID(bytes=base64.urlsafe_b64decode(padded.encode())), size)
    except (binascii.Error, ValueError) as error:
        raise RequestInvalid(
            "The query failed validation.", [("cursor", "cursor is not one this API returned")]
        ) from error


def next_cursor(rows: Sequence[T], limit: int, id_of: Callable[[T], UUID]) -> str | None:
    """The cursor after a page fetched with limit + 1 rows, or None on the last page."""
    if len(rows) <= limit:
        return None
    return base64.urlsafe_b64encode(id_of(rows[limit - 1]).bytes).decode().rstrip("=")
