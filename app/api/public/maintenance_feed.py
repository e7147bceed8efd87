"""Scheduled maintenances as entries of the page's history feeds, beside its incidents."""

from __future__ import annotations

from feedgen.feed import FeedGenerator
from markupsafe import escape

from app.api.public.feeds import xml_text
from app.domain.maintenance_page import PublicMaintenance
from app.domain.public_page import PublicPage
from app.present.labels import STATUS_LABELS
from app.present.markdown import render_markdown
from app.present.statuspage_maintenances import entry_body
from app.present.times import utc


def _content(item: PublicMaintenance) -> str:
    """The window first, then the newest update first, each with its time and status."""
    m = item.maintenance
    window = f"{utc(m.scheduled_for)} to {utc(m.scheduled_until)}"
    parts = [f"<p><strong>Scheduled</strong> {window}</p>"]
    for entry in reversed(item.entries):
        when = entry.at.strftime("%b %d, %H:%M UTC")
        body = entry_body(entry)
        text = (
            render_markdown(body) if entry.kind == "update" and not entry.redacted else escape(body)
        )
        parts.append(
            f"<p><small>{when}</small><br><strong>{STATUS_LABELS[entry.status]}</strong></p>{text}"
        )
    return "".join(parts)


def add_maintenances(
    feed: FeedGenerator, view: PublicPage, page_url: str, *, absolute: bool
) -> None:
    """One entry per maintenance the page shows, its id as lasting as an incident's."""
    for item in view.maintenances:
        m = item.maintenance
        entry = feed.add_entry(order="append")
        entry.id(f"{page_url}/maintenances/{m.id}" if absolute else f"urn:uuid:{m.id}")
        entry.title(xml_text(f"Scheduled maintenance: {m.title}"))
        entry.link(href=f"{page_url}#maintenance-{m.id}")
        entry.published(m.created_at)
        entry.updated(m.updated_at)
        entry.content(xml_text(_content(item)), type="html")
    if view.maintenances:
        latest = max(item.maintenance.updated_at for item in view.maintenances)
        feed.updated(max(feed.updated(), latest))
