"""Incident history as Atom and RSS, shaped like Statuspage's history feeds."""

from __future__ import annotations

import re

from feedgen.feed import FeedGenerator
from markupsafe import escape

from app.domain.public_page import PublicIncident, PublicPage
from app.present.labels import REDACTED_NOTICE
from app.present.markdown import render_markdown
from app.present.statuspage import incident_url

# XML 1.0 cannot carry most control characters: one in a title or a body would make the
# whole feed unbuildable, so each becomes U+FFFD, as a browser shows it on the HTML page.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _entry_html(incident: PublicIncident) -> str:
    """Newest update first, each with its time, status and rendered body."""
    parts = []
    for item in reversed(incident.entries):
        entry = item.entry
        when = entry.at.strftime("%b %d, %H:%M UTC")
        text = escape(REDACTED_NOTICE) if entry.redacted else render_markdown(item.body or "")
        parts.append(
            f"<p><small>{when}</small><br><strong>{entry.status.title()}</strong></p>{text}"
        )
    return "".join(parts)


def history_feed(
    view: PublicPage,
    incidents: list[PublicIncident],
    page_url: str,
    feed_url: str,
    *,
    absolute: bool,
) -> FeedGenerator:
    """`page_url` is absolute when PUBLIC_URL is set, else a path and so are the links;
    `feed_url` is the feed's own address (its rel="self" link).

    Ids must be absolute and must never change: the page's address when there is one (the
    form feed readers already hold), else the page's and the incidents' UUIDs as URNs.
    Each entry's author is the page: incidents are the organization's word, not a person's.
    """
    name = xml_text(view.page.name)
    feed = FeedGenerator()
    feed.id(page_url if absolute else f"urn:uuid:{view.page.id}")
    feed.title(f"{name} Status - Incident History")
    feed.description(f"Statuspage of {name}: incidents and their updates")
    # feedgen gives RSS the last link as the channel's: the page, not the feed.
    feed.link(href=feed_url, rel="self")
    feed.link(href=page_url, rel="alternate")
    feed.language("en")
    latest = [incident.updated_at for incident in incidents] or [view.page.updated_at]
    feed.updated(max(latest))
    for incident in incidents:  # newest first; feedgen prepends unless told otherwise
        entry = feed.add_entry(order="append")
        link = incident_url(page_url, incident)
        entry.id(link if absolute else f"urn:uuid:{incident.id}")
        entry.title(xml_text(incident.title))
        entry.author(name=name)
        entry.link(href=link)
        entry.published(incident.published_at)
        entry.updated(incident.updated_at)
        # Sets the Atom content and, for RSS, the item's description.
        entry.content(xml_text(_entry_html(incident)), type="html")
    return feed
