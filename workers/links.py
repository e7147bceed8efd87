"""The addresses messages point to: the page, an incident's page, and the signed confirm,
manage and unsubscribe links."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote
from uuid import UUID

from app.crypto import Keys
from app.domain.catalog import StatusPage

CONFIRMATION_LIFETIME = timedelta(hours=48)


class Links:
    def __init__(self, base_url: str, keys: Keys) -> None:
        self._base = base_url
        self._keys = keys

    def page(self, page: StatusPage) -> str:
        return f"{self._base}/status/{quote(page.slug)}"

    def incident(self, page: StatusPage, incident_id: UUID) -> str:
        """The incident's own page: its whole timeline, reachable for good."""
        return f"{self.page(page)}/incidents/{incident_id}"

    def documentation(self) -> str:
        return f"{self._base}/schema"

    def manage(self, page: StatusPage, subscriber_id: UUID) -> str:
        """The page where the subscriber chooses what it hears, or unsubscribes. It takes the
        unsubscribe token: whoever may unsubscribe may choose less."""
        token = self._keys.token("unsubscribe", subscriber_id)
        return f"{self.page(page)}/subscription?token={token}"

    def unsubscribe(self, page: StatusPage, subscriber_id: UUID) -> str:
        token = self._keys.token("unsubscribe", subscriber_id)
        return f"{self.page(page)}/unsubscribe?token={token}"

    def confirm(self, page: StatusPage, subscriber_id: UUID, now: datetime) -> str:
        token = self._keys.token("confirm", subscriber_id, now + CONFIRMATION_LIFETIME)
        return f"{self.page(page)}/subscriptions/confirm?token={token}"
