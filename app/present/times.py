"""How times are written: exact in documents, readable in pages and mails."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, as every time in the API is shown."""
    # isoformat truncates to milliseconds, as strftime's fields did, for less: each webhook
    # is stamped as it leaves.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def iso_ms_or_none(moment: datetime | None) -> str | None:
    """iso_ms of a time that may not have come yet (resolved, redacted): null until it has."""
    return None if moment is None else iso_ms(moment)


def utc(moment: datetime) -> str:
    """A time as people read it on a page or in a mail: "Nov 30, 2026 14:05 UTC"."""
    return moment.strftime("%b %d, %Y %H:%M UTC")
