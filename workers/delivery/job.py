"""`deliver(ctx, delivery_ids)`: the arq job that sends what a batch of rows still owes.

Jobs carry ids only; bodies are read from update_bodies as each batch starts, so a redaction
stops every batch built after it commits. arq may run a job twice: the rows decide what is still
owed.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import asyncpg

from app.crypto import SecretUnreadable
from app.domain.notifications import Attempt, after_attempt
from app.store.catalog import StatusPage, get_status_page
from app.store.delivery_jobs import Claimed, Settled, claim, settle
from app.store.notices import Notice, load_notice
from app.store.public_reads import PublicPage, component_history, load_public_page
from workers.context import Context
from workers.delivery.email import send_mails
from workers.delivery.webhook import post_webhook
from workers.messages import confirmation_email, update_email
from workers.payload import encoded_incident, webhook_body


async def deliver(ctx: dict[str, Any], delivery_ids: list[str]) -> int:
    """Returns how many rows this run attempted; 0 when another run has them or they settled.

    Rows that waited for these (later updates to the same subscribers) are sent next by this
    same run while it has time, instead of a round trip through the queue for each.
    """
    context: Context = ctx["herald"]
    loop = asyncio.get_running_loop()
    until = loop.time() + context.settings.job_timeout / 2
    ids = [UUID(i) for i in delivery_ids]
    attempted = 0
    async with context.pool.acquire() as conn:
        while ids:
            claimed = await claim(conn, ids, context.settings.job_timeout)
            if not claimed:
                break
            outcomes = await _send(conn, context, claimed)
            attempted += len(claimed)
            ids = await settle(conn, outcomes, take_over=loop.time() < until)
            if loop.time() >= until:
                break
    return attempted


async def _send(
    conn: asyncpg.Connection, context: Context, claimed: list[Claimed]
) -> list[Settled]:
    results = await _confirm(conn, context, [r for r in claimed if r.kind == "confirmation"])
    by_update: dict[UUID, list[Claimed]] = defaultdict(list)
    for row in claimed:
        if row.update_id is not None:
            by_update[row.update_id].append(row)
    cancelled: list[Settled] = []
    for update_id, rows in by_update.items():
        notice = await load_notice(conn, rows[0].incident_id, update_id)
        if notice is None:  # redacted since the claim
            cancelled += [Settled(row.id, "cancelled") for row in rows]
            continue
        results |= await _tell(conn, context, notice, rows)
    return [*_outcomes(context, claimed, results), *cancelled]


def _outcomes(
    context: Context, claimed: list[Claimed], results: dict[UUID, Attempt]
) -> list[Settled]:
    outcomes = []
    for row in claimed:
        if row.id not in results:
            continue
        attempt = results[row.id]
        step = after_attempt(
            attempt,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            policy=context.policy,
            jitter=random.random(),
        )
        outcomes.append(Settled(row.id, step.status, step.delay, attempt.error))
    return outcomes


async def _pages(conn: asyncpg.Connection, rows: list[Claimed]) -> dict[UUID, StatusPage]:
    pages = {}
    for row in rows:
        if row.status_page_id not in pages:
            page = await get_status_page(conn, row.organization_id, row.status_page_id)
            assert page is not None, "claim checked the page is published"
            pages[row.status_page_id] = page
    return pages


async def _confirm(
    conn: asyncpg.Connection, context: Context, rows: list[Claimed]
) -> dict[UUID, Attempt]:
    if not rows:
        return {}
    pages = await _pages(conn, rows)
    now = datetime.now(UTC)
    mails = [
        (
            row.id,
            confirmation_email(
                page=pages[row.status_page_id],
                to=row.target,
                mail_from=context.settings.mail_from,
                message_id=row.idempotency_key,
                confirm_url=context.links.confirm(
                    pages[row.status_page_id], row.subscriber_id, now
                ),
            ),
        )
        for row in rows
    ]
    return await send_mails(context.settings.smtp_url, mails, context.settings.send_timeout)


async def _tell(
    conn: asyncpg.Connection,
    context: Context,
    notice: Notice,
    rows: list[Claimed],
) -> dict[UUID, Attempt]:
    """Send one update to the claimed subscribers, reading each page's status once."""
    pages = await _pages(conn, rows)
    views: dict[UUID, PublicPage] = {
        page_id: await load_public_page(conn, page) for page_id, page in pages.items()
    }
    mails: list[tuple[UUID, EmailMessage]] = []
    for row in rows:
        if row.channel != "email":
            continue
        page = pages[row.status_page_id]
        mail = update_email(
            notice=notice,
            view=views[page.id],
            to=row.target,
            mail_from=context.settings.mail_from,
            message_id=row.idempotency_key,
            page_url=context.links.page(page),
            unsubscribe_url=context.links.unsubscribe(page, row.subscriber_id),
        )
        mails.append((row.id, mail))
    hooks = [row for row in rows if row.channel == "webhook"]
    mailed = send_mails(context.settings.smtp_url, mails, context.settings.send_timeout)
    posted = _post_all(conn, context, notice, hooks, pages, views)
    mail_results, hook_results = await asyncio.gather(mailed, posted)
    return mail_results | hook_results


async def _post_all(
    conn: asyncpg.Connection,
    context: Context,
    notice: Notice,
    rows: list[Claimed],
    pages: dict[UUID, StatusPage],
    views: dict[UUID, PublicPage],
) -> dict[UUID, Attempt]:
    if not rows:
        return {}
    incidents = {
        page_id: encoded_incident(
            views[page_id],
            notice.on_page(page),
            await component_history(conn, page, notice.incident.opened_at),
            context.links.page(page),
        )
        for page_id, page in pages.items()
    }
    results: dict[UUID, Attempt] = {}

    async def post(row: Claimed) -> None:
        page = pages[row.status_page_id]
        try:
            assert row.secret_encrypted is not None
            secret = context.keys.decrypt(row.secret_encrypted)
        except SecretUnreadable:
            results[row.id] = Attempt(
                "failed", "cannot decrypt the secret: not with SECRET_KEY nor SECRET_KEYS_OLD"
            )
            return
        async with context.slots.hold(row.target):
            # Stamped when it leaves, not when the batch began: receivers refuse stale stamps.
            sent_at = datetime.now(UTC)
            body = webhook_body(
                view=views[page.id],
                incident=incidents[page.id],
                unsubscribe_url=context.links.unsubscribe(page, row.subscriber_id),
                documentation_url=context.links.documentation(),
                generated_at=sent_at,
            )
            results[row.id] = await post_webhook(
                context.http,
                url=row.target,
                secret=secret,
                body=body,
                idempotency_key=row.idempotency_key,
                timestamp=int(sent_at.timestamp()),
            )

    await asyncio.gather(*(post(row) for row in rows))
    return results
