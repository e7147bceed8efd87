"""`deliver(ctx, delivery_ids)`: the arq job that sends what a batch of rows still owes.

Jobs carry ids only; bodies are read from update_bodies as each batch starts, so a redaction
stops every batch built after it commits. A webhook of a batch already built is stamped when
it is next in line for its slot and then asks whether the body of every update it shows (the
incident's timeline) is still there, unredacted, and leaves at most slots.FRESH after that
answer; each mail, which shows its own update only, asks right before it goes. So one waiting
while a redaction commits is not sent: dropped if its own update was redacted, due again at
once otherwise, for a later job to build from the redacted timeline. arq may run a job twice:
the rows decide what is still owed.

Each row is settled as soon as its send returns, while the batch's other sends are still on
the way: a receiver that takes its whole timeout delays nobody else's retry, nor the next
message to any other subscriber of the batch. Outcomes, and the checks for a redaction, go
through the process's ledger: every job's are recorded or asked together, one statement a
round.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from app.crypto import SecretUnreadable
from app.domain.catalog import StatusPage
from app.domain.notifications import Attempt, after_attempt
from app.domain.public_page import PublicPage
from app.store.catalog import get_status_page
from app.store.component_changes import changes_of_deliveries
from app.store.delivery_jobs import Claimed, Settled, claim
from app.store.maintenance_deliveries import load_maintenance_notices
from app.store.notices import Notice
from app.store.public_reads import component_history, load_public_page
from workers.component_messages import component_email, component_webhook, shown_component
from workers.context import Context
from workers.delivery.email import send_mails
from workers.delivery.webhook import post_webhook
from workers.messages import confirmation_email, maintenance_email, update_email
from workers.payload import encoded_incident, encoded_maintenance, webhook_body

SHOWED_A_REDACTED_UPDATE = "not sent: an earlier update it showed was redacted; built again"


async def deliver(ctx: dict[str, Any], delivery_ids: list[str]) -> int:
    """Returns how many rows this run attempted; 0 when another run has them or they settled.

    Rows that waited for these (later updates to the same subscribers) are sent next by this
    same run while it has time, instead of a round trip through the queue for each.
    """
    context: Context = ctx["herald"]
    until = asyncio.get_running_loop().time() + context.settings.job_timeout / 2
    async with asyncio.TaskGroup() as group:
        run = _Run(context, group, until)
        await run.take([UUID(i) for i in delivery_ids])
    return run.attempted


class _Run:
    """One job's rows from claim to settle. Sends run side by side; claims and the reads that
    build messages take a connection of the job's own, while outcomes and redaction checks go
    through the process's ledger, together with every other job's."""

    def __init__(
        self,
        context: Context,
        group: asyncio.TaskGroup,  # every send and settle runs in it; the job waits for all
        until: float,  # after this the queue, not this job, sends rows released by settling
    ) -> None:
        self.context = context
        self.group = group
        self.until = until
        self.attempted = 0
        self._released: list[UUID] = []  # waited for rows this run settled; it sends them next
        self._taking = False

    async def take(self, ids: Sequence[UUID]) -> None:
        """Claim the rows and start their sends; returns once every send is on its way."""
        async with self.context.pool.acquire() as conn:
            claimed = await claim(conn, ids, self.context.settings.job_timeout)
            self.attempted += len(claimed)
            await self._confirm(conn, [row for row in claimed if row.kind == "confirmation"])
            await self._announce(conn, [row for row in claimed if row.kind == "component_update"])
            maintenance = [row for row in claimed if row.kind == "maintenance"]
            await self._tell_of_maintenance(conn, maintenance)
            by_update: dict[UUID, list[Claimed]] = defaultdict(list)
            for row in claimed:
                if row.update_id is not None:
                    by_update[row.update_id].append(row)
            for update_id, rows in by_update.items():
                notice = await self.context.notices.notice(conn, rows[0].incident_id, update_id)
                if notice is None:  # redacted since the claim
                    for row in rows:
                        self._record(Settled(row.id, "cancelled"))
                else:
                    await self._tell(conn, notice, rows)

    def _outcome(self, row: Claimed, attempt: Attempt) -> Settled:
        step = after_attempt(
            attempt,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            policy=self.context.policy,
            jitter=random.random(),
        )
        return Settled(row.id, step.status, step.delay, attempt.error)

    def _record(self, outcome: Settled) -> None:
        self.group.create_task(self._settle(outcome))

    async def _settle(self, outcome: Settled) -> None:
        take_over = asyncio.get_running_loop().time() < self.until
        released = await self.context.ledger.record(outcome, take_over=take_over)
        if released and take_over:
            self._released += released
            if not self._taking:
                self._taking = True
                self.group.create_task(self._take_released())

    async def _take_released(self) -> None:
        """One claim for every row released while the last claim was on its way."""
        while self._released:
            ids, self._released = self._released, []
            await self.take(ids)
        self._taking = False

    async def _confirm(self, conn: asyncpg.Connection, rows: list[Claimed]) -> None:
        if not rows:
            return
        pages = await _pages(conn, rows)
        now = datetime.now(UTC)
        mails = [
            (
                row.id,
                confirmation_email(
                    page=pages[row.status_page_id],
                    to=row.target,
                    mail_from=self.context.settings.mail_from,
                    message_id=row.idempotency_key,
                    confirm_url=self.context.links.confirm(
                        pages[row.status_page_id], row.subscriber_id, now
                    ),
                ),
            )
            for row in rows
        ]
        self.group.create_task(self._mail(rows, mails))

    async def _mail(self, rows: list[Claimed], mails: list[tuple[UUID, EmailMessage]]) -> None:
        by_id = {row.id: row for row in rows}
        settings = self.context.settings

        async def may_send(delivery_id: UUID) -> bool:
            # A mail shows its own update's text only, not the timeline.
            row = by_id[delivery_id]
            if row.update_id is None or not await self.context.ledger.redacted((row.update_id,)):
                return True
            self._record(Settled(row.id, "cancelled"))
            return False

        sent = send_mails(settings.smtp_url, mails, settings.send_timeout, may_send)
        async with contextlib.aclosing(sent):
            async for delivery_id, attempt in sent:
                self._record(self._outcome(by_id[delivery_id], attempt))

    async def _announce(self, conn: asyncpg.Connection, rows: list[Claimed]) -> None:
        """Tell the claimed subscribers of components' changes; a change the page no longer
        shows the component of is owed to no one."""
        if not rows:
            return
        changes = await changes_of_deliveries(conn, [row.id for row in rows])
        pages = await _pages(conn, rows)
        views = {page_id: await load_public_page(conn, p) for page_id, p in pages.items()}
        links, mails = self.context.links, []
        for row in rows:
            page, change = pages[row.status_page_id], changes[row.id]
            view = views[page.id]
            component = shown_component(view, change)
            if component is None:  # the page no longer shows it
                self._record(Settled(row.id, "cancelled"))
            elif row.channel == "email":
                mail = component_email(
                    change=change,
                    component=component,
                    page=page,
                    to=row.target,
                    mail_from=self.context.settings.mail_from,
                    message_id=row.idempotency_key,
                    links=links,
                    subscriber_id=row.subscriber_id,
                )
                mails.append((row.id, mail))
            else:
                body = component_webhook(
                    change=change, view=view, links=links, subscriber_id=row.subscriber_id
                )
                self.group.create_task(self._post(row, body))
        if mails:
            self.group.create_task(self._mail(rows, mails))

    async def _tell(self, conn: asyncpg.Connection, notice: Notice, rows: list[Claimed]) -> None:
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
                mail_from=self.context.settings.mail_from,
                message_id=row.idempotency_key,
                incident_url=self.context.links.incident(page, notice.incident.id),
                manage_url=self.context.links.manage(page, row.subscriber_id),
                unsubscribe_url=self.context.links.unsubscribe(page, row.subscriber_id),
            )
            mails.append((row.id, mail))
        if mails:
            self.group.create_task(self._mail(rows, mails))
        hooks = [row for row in rows if row.channel == "webhook"]
        if not hooks:
            return
        incidents = {
            page_id: encoded_incident(
                views[page_id],
                notice.on_page(page),
                await component_history(conn, page, notice.incident.opened_at),
                self.context.links.page(page),
            )
            for page_id, page in pages.items()
        }
        carried = notice.carried()
        for row in hooks:
            page = pages[row.status_page_id]
            body = self._update_body(row, page, views[page.id], incidents[page.id])
            self.group.create_task(self._post(row, body, carried))

    async def _tell_of_maintenance(self, conn: asyncpg.Connection, rows: list[Claimed]) -> None:
        """Send each row its maintenance notice, reading each page's status once."""
        if not rows:
            return
        notices = await load_maintenance_notices(conn, [row.id for row in rows])
        pages = await _pages(conn, rows)
        views = {page_id: await load_public_page(conn, page) for page_id, page in pages.items()}
        links = self.context.links
        mails = [
            (
                row.id,
                maintenance_email(
                    notice=notices[row.id],
                    view=views[row.status_page_id],
                    to=row.target,
                    mail_from=self.context.settings.mail_from,
                    message_id=row.idempotency_key,
                    page_url=links.page(pages[row.status_page_id]),
                    manage_url=links.manage(pages[row.status_page_id], row.subscriber_id),
                    unsubscribe_url=links.unsubscribe(pages[row.status_page_id], row.subscriber_id),
                ),
            )
            for row in rows
            if row.channel == "email"
        ]
        if mails:
            self.group.create_task(self._mail(rows, mails))
        for row in rows:
            if row.channel == "webhook":
                page, view = pages[row.status_page_id], views[row.status_page_id]
                notice = notices[row.id].on_page(page)
                document = encoded_maintenance(view, notice, links.page(page))
                self.group.create_task(
                    self._post(row, self._update_body(row, page, view, document))
                )

    def _update_body(
        self, row: Claimed, page: StatusPage, view: PublicPage, incident: msgspec.Raw
    ) -> Callable[[datetime], bytes]:
        unsubscribe_url = self.context.links.manage(page, row.subscriber_id)
        documentation_url = self.context.links.documentation()

        def body(generated_at: datetime) -> bytes:
            return webhook_body(
                view=view,
                incident=incident,
                unsubscribe_url=unsubscribe_url,
                documentation_url=documentation_url,
                generated_at=generated_at,
            )

        return body

    async def _post(
        self,
        row: Claimed,
        body_at: Callable[[datetime], bytes],
        carried: tuple[UUID, ...] = (),  # the updates whose text the body shows
    ) -> None:
        """POST the body `body_at` stamps, only while every update it shows is unredacted:
        none if its own update was redacted; one built again, by a later job that reads the
        redacted timeline, if another update it shows was."""
        context = self.context
        try:
            assert row.secret_encrypted is not None
            secret = context.secret(row.secret_encrypted)
        except SecretUnreadable:
            unreadable = "cannot decrypt the secret: not with SECRET_KEY nor SECRET_KEYS_OLD"
            await self._settle(self._outcome(row, Attempt("failed", unreadable)))
            return

        async def ready() -> tuple[datetime, bytes] | Settled:
            # Stamped as it is about to leave, not when the batch began: receivers refuse
            # stale stamps; and checked after the stamp, so a message stamped after a
            # redaction of an update it shows committed is never sent.
            sent_at = datetime.now(UTC)
            gone = await context.ledger.redacted(carried) if carried else frozenset()
            if row.update_id in gone:
                return Settled(row.id, "cancelled")
            if gone:  # due again at once: the next job reads the timeline as redacted
                return Settled(row.id, "pending", error=SHOWED_A_REDACTED_UPDATE)
            return sent_at, body_at(sent_at)

        async with context.slots.hold(row.target, ready) as prepared:
            if isinstance(prepared, Settled):
                outcome = prepared
            else:
                sent_at, body = prepared
                attempt = await post_webhook(
                    context.http,
                    url=row.target,
                    secret=secret,
                    body=body,
                    idempotency_key=row.idempotency_key,
                    timestamp=int(sent_at.timestamp()),
                )
                outcome = self._outcome(row, attempt)
        # Settled in this send's own task, not a new one: the slot is already free.
        await self._settle(outcome)


async def _pages(conn: asyncpg.Connection, rows: list[Claimed]) -> dict[UUID, StatusPage]:
    pages = {}
    for row in rows:
        if row.status_page_id not in pages:
            page = await get_status_page(conn, row.organization_id, row.status_page_id)
            assert page is not None, "claim checked the page is published"
            pages[row.status_page_id] = page
    return pages
