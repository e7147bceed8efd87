"""Cursor pagination: lists have a stable order by a key, and a cursor is the last key a page
showed (an id, or a version for a stream of events)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec

from app.api.errors import RequestInvalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 100

T = TypeVar("T")
Key = UUID | int
# A stream's version is a PostgreSQL integer: a cursor beyond that range is none this API gave.
Version = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
# ASCII digits only: str.isdigit() also takes superscripts, which int() refuses, and other
# scripts' digits, which no client of this API means to send.
_LIMIT = re.compile(r"[0-9]{1,3}")


class PageRequest(msgspec.Struct, frozen=True):
    last_seen: Key | None
    limit: int


def page_request(cursor: str | None, limit: str | None, key: Any = UUID) -> PageRequest:
    """The page a list's query asks for; `key` is the type of its cursor (UUID or Version)."""
    size = DEFAULT_LIMIT
    if limit is not None:
        if not _LIMIT.fullmatch(limit) or not 1 <= int(limit) <= MAX_LIMIT:
            raise RequestInvalid(
                "The query failed validation.",
                [("limit", f"limit must be an integer from 1 to {MAX_LIMIT}")],
            )
        size = int(limit)
    if cursor is None:
        return PageRequest(None, size)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return PageRequest(msgspec.json.decode(base64.urlsafe_b64decode(padded), type=key), size)
    except (binascii.Error, ValueError, msgspec.DecodeError) as error:
        raise RequestInvalid(
            "The query failed validation.", [("cursor", "cursor is not one this API returned")]
        ) from error


def next_cursor(rows: Sequence[T], limit: int, key_of: Callable[[T], Key]) -> str | None:
    """The cursor after a page fetched with limit + 1 rows, or None on the last page."""
    if len(rows) <= limit:
        return None
    encoded = msgspec.json.encode(key_of(rows[limit - 1]))
    return base64.urlsafe_b64encode(encoded).decode().rstrip("=")


def listed(
    rows: Sequence[T],
    page: PageRequest,
    show: Callable[[T], Any],
    key_of: Callable[[T], Key] = lambda row: row.id,  # type: ignore[attr-defined]
) -> dict[str, Any]:
    """A list's answer from a page fetched with limit + 1 rows: each row as `show` renders it,
    and the cursor after them."""
    return {
        "data": [show(row) for row in rows[: page.limit]],
        "nextCursor": next_cursor(rows, page.limit, key_of),
    }
