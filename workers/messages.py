"""The mails: an update (plain text and HTML) and the confirmation of a new subscription."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from html import escape

from markupsafe import Markup

from app.domain.catalog import StatusPage
from app.domain.public_page import PublicPage
from app.present.labels import STATUS_LABELS
from app.present.markdown import render_markdown
from app.present.times import utc
from app.store.maintenance_deliveries import MaintenanceNotice
from app.store.notices import Notice
from workers.links import CONFIRMATION_LIFETIME


def _domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


def new_message(*, mail_from: str, to: str, subject: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    # A title may span lines; a header may not, so its line breaks fold into spaces.
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(usegmt=True)
    # The same id on every attempt, so a mail sent twice after a crash shows once in most clients.
    message["Message-ID"] = f"<{message_id}@{_domain(mail_from)}>"
    message["Auto-Submitted"] = "auto-generated"
    return message


def subscriber_message(
    *,
    mail_from: str,
    to: str,
    subject: str,
    message_id: str,
    unsubscribe_url: str,
    thread: str | None = None,
) -> EmailMessage:
    """A mail to a subscriber: unsubscribed from in one click, and threaded under `thread`
    (such as "incident-<id>") where it tells of one thing's course."""
    message = new_message(mail_from=mail_from, to=to, subject=subject, message_id=message_id)
    if thread is not None:
        reference = f"<{thread}@{_domain(mail_from)}>"
        message["In-Reply-To"] = reference
        message["References"] = reference
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def html_mail(title: str, paragraphs: list[Markup | str], footer: Markup) -> str:
    body = "".join(
        f'<div style="margin:0 0 16px">{p if isinstance(p, Markup) else escape(p)}</div>'
        for p in paragraphs
    )
    return (
        '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,'
        'sans-serif;color:#1f2328;max-width:600px;margin:0 auto;padding:24px">'
        f'<h1 style="font-size:20px;margin:0 0 16px">{escape(title)}</h1>{body}'
        f'<hr style="border:0;border-top:1px solid #d0d7de;margin:24px 0">'
        f'<p style="font-size:12px;color:#656d76">{footer}</p></body></html>'
    )


def add_subscriber_bodies(
    message: EmailMessage,
    *,
    title: str,
    text: list[str],
    html: list[Markup | str],
    reason: str,
    manage_url: str,
) -> None:
    """The plain text and HTML parts of a mail to a subscriber, each closing with why it came
    (`reason`) and the way to change that."""
    message.set_content(
        "\n\n".join([*text, f"-- \n{reason}\nManage or unsubscribe: {manage_url}"]) + "\n",
        cte="quoted-printable",  # readable in the raw mail, unlike base64
    )
    footer = Markup('{} <a href="{}">Manage or unsubscribe</a>').format(reason, manage_url)
    message.add_alternative(html_mail(title, html, footer), subtype="html")


def update_email(
    *,
    notice: Notice,
    view: PublicPage,
    to: str,
    mail_from: str,
    message_id: str,
    incident_url: str,
    manage_url: str,
    unsubscribe_url: str,
) -> EmailMessage:
    """Subject: "[Page] Status: Incident title"; the thread is the incident."""
    incident, entry = notice.incident, notice.update.entry
    status = STATUS_LABELS[entry.status]
    message = subscriber_message(
        mail_from=mail_from,
        to=to,
        subject=f"[{view.page.name}] {status}: {incident.title}",
        message_id=message_id,
        unsubscribe_url=unsubscribe_url,
        thread=f"incident-{incident.id}",
    )
    names = {component.id: component.name for component in view.components}
    affected = [
        f"{names[cs.component_id]}: {STATUS_LABELS[cs.status]}"
        for cs in entry.component_statuses
        if cs.component_id in names
    ]
    body = notice.update.body or ""
    when = f"{status} · {utc(entry.at)}"
    reason = f"You receive this because you subscribed to {view.page.name} status updates."
    affected_line = ["Affected: " + "; ".join(affected)] if affected else []
    link = Markup('<a href="{}">View the incident</a>').format(incident_url)
    add_subscriber_bodies(
        message,
        title=incident.title,
        text=[incident.title, when, body, *affected_line, f"Incident page: {incident_url}"],
        html=[when, render_markdown(body), *affected_line, link],
        reason=reason,
        manage_url=manage_url,
    )
    return message


def confirmation_email(
    *, page: StatusPage, to: str, mail_from: str, message_id: str, confirm_url: str
) -> EmailMessage:
    message = new_message(
        mail_from=mail_from,
        to=to,
        subject=f"Confirm your subscription to {page.name} status updates",
        message_id=message_id,
    )
    hours = int(CONFIRMATION_LIFETIME.total_seconds() // 3600)
    asked = f"Someone, hopefully you, asked to receive {page.name} status updates at {to}."
    ignore = "If that was not you, ignore this mail: nothing else will be sent to this address."
    message.set_content(f"{asked}\n\nConfirm within {hours} hours:\n{confirm_url}\n\n{ignore}\n")
    button = Markup('<a href="{}" style="font-weight:600">Confirm subscription</a>').format(
        confirm_url
    )
    message.add_alternative(
        html_mail(
            f"Confirm your subscription to {page.name}",
            [asked, button, f"The link works for {hours} hours."],
            Markup(escape(ignore)),
        ),
        subtype="html",
    )
    return message


# What each notice of a maintenance says first, in the subject and at the top.
MAINTENANCE_HEADLINES = {
    "MaintenanceScheduled": "Scheduled maintenance",
    "MaintenanceRescheduled": "Maintenance rescheduled",
    "MaintenanceReminded": "Maintenance reminder",
    "MaintenanceStarted": "Maintenance in progress",
    "MaintenanceCompleted": "Maintenance completed",
    "MaintenanceCancelled": "Maintenance cancelled",
}


def maintenance_email(
    *,
    notice: MaintenanceNotice,
    view: PublicPage,
    to: str,
    mail_from: str,
    message_id: str,
    page_url: str,
    manage_url: str,
    unsubscribe_url: str,
) -> EmailMessage:
    """Subject: "[Page] Scheduled maintenance: Title"; the thread is the maintenance. It names
    the window, the components and the description, so the page need not be opened."""
    maintenance = notice.maintenance
    headline = MAINTENANCE_HEADLINES[notice.kind]
    message = subscriber_message(
        mail_from=mail_from,
        to=to,
        subject=f"[{view.page.name}] {headline}: {maintenance.title}",
        message_id=message_id,
        unsubscribe_url=unsubscribe_url,
        thread=f"maintenance-{maintenance.id}",
    )
    window = f"{utc(maintenance.scheduled_for)} to {utc(maintenance.scheduled_until)}"
    names = [c.name for c in view.components if c.id in maintenance.component_ids]
    affects = "Affects: " + ", ".join(names)
    reason = f"You receive this because you subscribed to {view.page.name} status updates."
    description = maintenance.description
    link = Markup('<a href="{}">View the status page</a>').format(page_url)
    add_subscriber_bodies(
        message,
        title=f"{headline}: {maintenance.title}",
        text=[
            f"{headline}: {maintenance.title}",
            f"Window: {window}",
            affects,
            *([description] if description else []),
            f"Status page: {page_url}",
        ],
        html=[
            f"Window: {window}",
            affects,
            *([render_markdown(description)] if description else []),
            link,
        ],
        reason=reason,
        manage_url=manage_url,
    )
    return message
