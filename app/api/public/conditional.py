"""Validators of the public surfaces, and whether a conditional GET may be answered 304.

The ETag names exact content. Last-Modified is an HTTP date, whole seconds only, so it must
never vouch for a second in which the page may still change: a redaction in the same second as
a cached copy's Last-Modified would otherwise be answered 304, and the redacted text would stay
in that cache. So Last-Modified is the change's time rounded up to the next whole second, sent
only once that second lies SETTLE in the past; until then it is rounded down, so that no
If-Modified-Since that echoes it can match. If-Modified-Since is then compared with the exact
time of the last change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

SECOND = timedelta(seconds=1)
# An update's time is taken when its request arrives, before it waits for the incident's lock
# and commits: a change stamped before a second may become visible a moment after it.
SETTLE = timedelta(seconds=5)


def _floor(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def last_modified(changed: datetime, now: datetime) -> datetime:
    """The whole second to send for content last changed at `changed`, as served at `now`."""
    rounded_up = _floor(changed) if changed == _floor(changed) else _floor(changed) + SECOND
    if rounded_up + SETTLE <= now:
        return rounded_up
    # Strictly before the change, so that an If-Modified-Since echoing it never matches.
    return _floor(changed - timedelta(microseconds=1))


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def not_modified(headers: Mapping[str, str], etag: str, changed: datetime) -> bool:
    """RFC 9110's order: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = headers.get("if-modified-since")
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # not an HTTP date: ignored, as RFC 9110 asks
    if since.tzinfo is None:
        return False  # "-0000" in place of GMT: no known zone
    return changed <= since
