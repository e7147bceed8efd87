"""What a component_update delivery sends: Statuspage's component webhook, or a short mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from uuid import UUID

from markupsafe import Markup

from app.domain.catalog import StatusPage
from app.domain.component_changes import ComponentChange
from app.domain.public_page import PublicComponent, PublicPage
from app.present.component_update import component_update_body
from app.present.labels import STATUS_LABELS
from app.present.times import utc
from workers.links import Links
from workers.messages import add_subscriber_bodies, subscriber_message


def shown_component(view: PublicPage, change: ComponentChange) -> PublicComponent | None:
    """The changed component as the page shows it; None once the page no longer does."""
    return next((c for c in view.components if c.id == change.component_id), None)


def component_email(
    *,
    change: ComponentChange,
    component: PublicComponent,
    page: StatusPage,
    to: str,
    mail_from: str,
    message_id: str,
    links: Links,
    subscriber_id: UUID,
) -> EmailMessage:
    """Subject: "[Page] Component: New status"."""
    new, old = STATUS_LABELS[change.new_status], STATUS_LABELS[change.old_status]
    message = subscriber_message(
        mail_from=mail_from,
        to=to,
        subject=f"[{page.name}] {component.name}: {new}",
        message_id=message_id,
        unsubscribe_url=links.unsubscribe(page, subscriber_id),
    )
    manage_url = links.manage(page, subscriber_id)
    said = f"{component.name} is {new}, was {old}, since {utc(change.changed_at)}."
    reason = f"You receive this because you subscribed to {page.name} component changes."
    page_url = links.page(page)
    link = Markup('<a href="{}">View the status page</a>').format(page_url)
    add_subscriber_bodies(
        message,
        title=f"{component.name}: {new}",
        text=[said, f"Status page: {page_url}"],
        html=[said, link],
        reason=reason,
        manage_url=manage_url,
    )
    return message


def component_webhook(
    *, change: ComponentChange, view: PublicPage, links: Links, subscriber_id: UUID
) -> Callable[[datetime], bytes]:
    """The body, given the moment it is stamped (when it gets its slot)."""
    manage_url = links.manage(view.page, subscriber_id)
    documentation_url = links.documentation()

    def body(generated_at: datetime) -> bytes:
        return component_update_body(
            view=view,
            change=change,
            unsubscribe_url=manage_url,
            documentation_url=documentation_url,
            generated_at=generated_at,
        )

    return body
