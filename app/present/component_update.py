"""Atlassian Statuspage's component update webhook: `component_update` and `component`.

Receivers written for Statuspage tell it from an incident webhook by its top-level keys. The
component is shown as the change left it, so a retry an hour later still tells the same news.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.domain.component_changes import ComponentChange
from app.domain.public_page import PublicPage
from app.present.statuspage import COMPONENT_STATUS, components_json, webhook_head
from app.present.times import iso_ms


def component_update_body(
    *,
    view: PublicPage,
    change: ComponentChange,
    unsubscribe_url: str,
    documentation_url: str,
    generated_at: datetime,
) -> bytes:
    """`view` must show the changed component."""
    [component] = [
        shown for shown in components_json(view, {}) if shown["id"] == str(change.component_id)
    ]
    changed_at = iso_ms(change.changed_at)
    head = webhook_head(
        view,
        unsubscribe_url=unsubscribe_url,
        documentation_url=documentation_url,
        generated_at=generated_at,
    )
    return msgspec.json.encode(
        {
            **head,
            "component_update": {
                "id": str(change.id),
                "component_id": str(change.component_id),
                "component_type": "Component",
                "old_status": COMPONENT_STATUS[change.old_status],
                "new_status": COMPONENT_STATUS[change.new_status],
                "created_at": changed_at,
            },
            "component": {
                **component,
                "status": COMPONENT_STATUS[change.new_status],
                "updated_at": changed_at,
            },
        }
    )
