"""Components and status pages of an organization, as values; app/store/catalog.py keeps them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class Component(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organization_id: UUID
    name: str
    description: str | None
    created_at: datetime


class StatusPage(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organization_id: UUID
    name: str
    slug: str
    component_ids: tuple[UUID, ...]
    published: bool
    created_at: datetime
    updated_at: datetime
