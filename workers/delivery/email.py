"""Send mails over one SMTP connection to SMTP_URL: smtp://[user:pass@]host[:port], or
smtps:// for TLS from the start; smtp:// upgrades with STARTTLS when the server offers it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit
from uuid import UUID

import aiosmtplib

from app.domain.notifications import Attempt, smtp_verdict


def smtp_client(smtp_url: str, timeout: float) -> aiosmtplib.SMTP:
    url = urlsplit(smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    implicit_tls = url.scheme == "smtps"
    return aiosmtplib.SMTP(
        hostname=url.hostname or "localhost",
        port=url.port or (465 if implicit_tls else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=implicit_tls,
        timeout=timeout,
    )


def _refused(error: aiosmtplib.SMTPRecipientsRefused) -> Attempt:
    code = min(refusal.code for refusal in error.recipients)
    return Attempt(smtp_verdict(code), f"SMTP {code}: {error.recipients[0].message}")


NO_SMTPUTF8 = (
    "the mail server does not support SMTPUTF8, which an address with non-ASCII characters needs"
)


async def send_mails(
    smtp_url: str | None,
    mails: Sequence[tuple[UUID, EmailMessage]],
    seconds: float,
    may_send: Callable[[UUID], Awaitable[bool]] | None = None,
) -> AsyncIterator[tuple[UUID, Attempt]]:
    """Yields each mail's outcome as soon as the server has answered for it. A mail the server
    refuses fails or waits alone; the connection breaking sends it and the rest to retry.
    `may_send` is asked right before each mail goes; one it refuses is skipped, and left to
    the caller to record."""
    if not mails:
        return
    if smtp_url is None:
        for delivery_id, _ in mails:
            yield delivery_id, Attempt("retry", "SMTP_URL is not set")
        return
    client = smtp_client(smtp_url, seconds)
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as error:
        for delivery_id, _ in mails:
            yield delivery_id, Attempt("retry", f"SMTP: {error}")
        return
    try:
        for index, (delivery_id, mail) in enumerate(mails):
            if may_send is not None and not await may_send(delivery_id):
                continue
            try:
                await client.send_message(mail)
            except aiosmtplib.SMTPRecipientsRefused as error:
                yield delivery_id, _refused(error)
            except aiosmtplib.SMTPResponseException as error:
                yield (
                    delivery_id,
                    Attempt(smtp_verdict(error.code), f"SMTP {error.code}: {error.message}"),
                )
            except aiosmtplib.SMTPNotSupported:
                # Refused before anything is sent, and asking again will not change the server.
                yield delivery_id, Attempt("failed", NO_SMTPUTF8)
            except ValueError as error:  # an address the client will not put on the wire
                yield delivery_id, Attempt("failed", f"not an address that can be sent to: {error}")
            except (aiosmtplib.SMTPException, OSError) as error:
                # The connection is gone: this mail and the rest wait for their retry.
                for pending_id, _ in mails[index:]:
                    yield pending_id, Attempt("retry", f"SMTP: {error}")
                return
            else:
                yield delivery_id, Attempt("delivered")
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
