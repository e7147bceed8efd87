"""The webhook body: Atlassian Statuspage's subscriber webhook, so its receivers work unchanged.

The incident object is the one Herald's Statuspage-compatible public API serves, as the
notified update left it. It is encoded once per page; only `meta` differs per subscriber.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from app.domain.maintenance_page import PublicMaintenance
from app.domain.public_page import PublicIncident, PublicPage
from app.domain.timeline import ComponentInterval
from app.present.statuspage import components_json, incidents_json, webhook_head
from app.present.statuspage_maintenances import maintenances_json


def encoded_incident(
    view: PublicPage,
    incident: PublicIncident,
    history: dict[Any, list[ComponentInterval]],
    page_url: str,
) -> msgspec.Raw:
    [document] = incidents_json(view, [incident], page_url, components_json(view, history))
    return msgspec.Raw(msgspec.json.encode(document))


def encoded_maintenance(
    view: PublicPage, maintenance: PublicMaintenance, page_url: str
) -> msgspec.Raw:
    """A maintenance as Statuspage's webhooks carry it: in `incident`, with its window."""
    [document] = maintenances_json(view, [maintenance], page_url, components_json(view, {}))
    return msgspec.Raw(msgspec.json.encode(document))


def webhook_body(
    *,
    view: PublicPage,
    incident: msgspec.Raw,
    unsubscribe_url: str,
    documentation_url: str,
    generated_at: datetime,
) -> bytes:
    head = webhook_head(
        view,
        unsubscribe_url=unsubscribe_url,
        documentation_url=documentation_url,
        generated_at=generated_at,
    )
    return msgspec.json.encode({**head, "incident": incident})
