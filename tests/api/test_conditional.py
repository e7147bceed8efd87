"""Last-Modified never vouches for a second in which the page may still change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.datastructures import Headers

from app.api.public.conditional import SETTLE, http_date, last_modified, not_modified

CHANGED = datetime(2026, 3, 2, 9, 14, 5, 250_000, tzinfo=UTC)
ETAG = '"abc-202603020914-html"'


def since(moment: datetime) -> Headers:
    return Headers({"If-Modified-Since": http_date(moment)})


def test_a_settled_change_is_sent_rounded_up_and_validates_until_the_next_change() -> None:
    sent = last_modified(CHANGED, now=CHANGED + SETTLE + timedelta(seconds=1))
    assert sent == datetime(2026, 3, 2, 9, 14, 6, tzinfo=UTC)
    assert not_modified(since(sent), ETAG, CHANGED)
    # Any later change, even within the same second as the first one, is news.
    assert not not_modified(since(sent), ETAG, sent + timedelta(microseconds=1))


def test_a_change_of_the_last_moments_never_validates_by_date() -> None:
    sent = last_modified(CHANGED, now=CHANGED + timedelta(milliseconds=10))
    assert sent < CHANGED
    assert not not_modified(since(sent), ETAG, CHANGED)  # no change yet, but it cannot tell
    redacted = CHANGED + timedelta(milliseconds=500)  # the same second
    assert not not_modified(since(sent), ETAG, redacted)


def test_a_whole_second_change_is_sent_as_is_once_settled_and_earlier_before() -> None:
    whole = CHANGED.replace(microsecond=0)
    assert last_modified(whole, now=whole + SETTLE) == whole
    assert last_modified(whole, now=whole + SETTLE - timedelta(microseconds=1)) < whole


def test_if_none_match_decides_when_present() -> None:
    both = Headers({"If-None-Match": f'W/"x", {ETAG}', "If-Modified-Since": http_date(CHANGED)})
    assert not_modified(both, ETAG, CHANGED + timedelta(days=1))
    other = Headers({"If-None-Match": '"x"', "If-Modified-Since": http_date(CHANGED)})
    assert not not_modified(other, ETAG, CHANGED - timedelta(days=1))
    assert not_modified(Headers({"If-None-Match": "*"}), ETAG, CHANGED)


def test_an_if_modified_since_that_is_no_http_date_is_ignored() -> None:
    for value in ("yesterday", "", "Mon, 02 Mar 2026 09:14:05 -0000"):
        assert not not_modified(Headers({"If-Modified-Since": value}), ETAG, CHANGED), value
