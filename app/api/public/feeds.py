"""Incident history as Atom and RSS, shaped like Statuspage's history feeds."""

from __future__ import annotations

from feedgen.feed import FeedGenerator
from markupsafe import escape

from app.api.public.markdown import render_markdown
from app.store.public_reads import PublicIncident, PublicPage

REDACTED = "This update was redacted."


def _entry_html(incident: PublicIncident) -> str:
    """Newest update first, each with its time, status and rendered body."""
    parts = []
    for item in reversed(incident.entries):
        entry = item.entry
        when = entry.at.strftime("%b %d, %H:%M UTC")
        text = escape(REDACTED) if entry.redacted else render_markdown(item.body or "")
        parts.append(
            f"<p><small>{when}</small><br><strong>{entry.status.title()}</strong></p>{text}"
        )
    return "".join(parts)


def history_feed(view: PublicPage, incidents: list[PublicIncident], page_url: str) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(page_url)
    feed.title(f"{view.page.name} Status - Incident History")
    feed.description(f"Statuspage of {view.page.name}: incidents and their updates")
    feed.link(href=page_url, rel="alternate")
    feed.language("en")
    latest = [incident.updated_at for incident in incidents] or [view.page.updated_at]
    feed.updated(max(latest))
    for incident in incidents:  # newest first; feedgen prepends unless told otherwise
        entry = feed.add_entry(order="append")
        link = f"{page_url}#incident-{incident.id}"
        entry.id(f"{page_url}/incidents/{incident.id}")
        entry.title(incident.title)
        entry.link(href=link)
        entry.published(incident.published_at)
        entry.updated(incident.updated_at)
        # Sets the Atom content and, for RSS, the item's description.
        entry.content(_entry_html(incident), type="html")
    return feed
