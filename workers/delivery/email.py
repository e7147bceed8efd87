"""Send mails over one SMTP connection to SMTP_URL: smtp://[user:pass@]host[:port], or
smtps:// for TLS from the start; smtp:// upgrades with STARTTLS when the server offers it."""

from __future__ import annotations

from collections.abc import Sequence
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


async def send_mails(
    smtp_url: str | None, mails: Sequence[tuple[UUID, EmailMessage]], seconds: float
) -> dict[UUID, Attempt]:
    if not mails:
        return {}
    if smtp_url is None:
        return {delivery_id: Attempt("retry", "SMTP_URL is not set") for delivery_id, _ in mails}
    results: dict[UUID, Attempt] = {}
    client = smtp_client(smtp_url, seconds)
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as error:
        return {delivery_id: Attempt("retry", f"SMTP: {error}") for delivery_id, _ in mails}
    try:
        for delivery_id, mail in mails:
            try:
                await client.send_message(mail)
            except aiosmtplib.SMTPRecipientsRefused as error:
                results[delivery_id] = _refused(error)
            except aiosmtplib.SMTPResponseException as error:
                attempt = Attempt(smtp_verdict(error.code), f"SMTP {error.code}: {error.message}")
                results[delivery_id] = attempt
            except (aiosmtplib.SMTPException, OSError) as error:
                # The connection is gone: this mail and the rest wait for their retry.
                for pending_id, _ in mails:
                    results.setdefault(pending_id, Attempt("retry", f"SMTP: {error}"))
                break
            else:
                results[delivery_id] = Attempt("delivered")
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
    return results
