"""Request and response shapes of the v1 subscribers and deliveries endpoints."""

from __future__ import annotations

import re
from ipaddress import ip_address
from typing import Annotated, Literal
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from app.api.errors import RequestInvalid
from app.api.text import has_control_or_space
from app.api.v1.schemas import ComponentIds, Input, Output
from app.domain.addresses import is_public
from app.domain.email_address import normalized_address
from app.domain.notifications import DeliveryStatus
from app.present.times import iso_ms, iso_ms_or_none
from app.store.deliveries import Delivery
from app.store.subscribers import Preferences, Subscriber

Url = Annotated[str, msgspec.Meta(max_length=2000)]
Address = Annotated[str, msgspec.Meta(max_length=254)]
# Deliberately loose: the mail server is the judge; this only keeps out what cannot be one
# address (spaces, several addresses, header tricks).
_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\]+")


class CreateSubscriber(Input):
    channel: Literal["webhook", "email"]
    url: Url | None = None
    address: Address | None = None
    component_ids: ComponentIds = msgspec.field(default_factory=list)
    incidents: bool = True
    maintenances: bool = True
    component_changes: bool = False

    def preferences(self) -> Preferences:
        return hears_something(
            Preferences(
                incidents=self.incidents,
                maintenances=self.maintenances,
                component_changes=self.component_changes,
                component_ids=tuple(self.component_ids),
            )
        )


class EditSubscriber(Input):
    """Only the fields sent change."""

    component_ids: ComponentIds | None = None
    incidents: bool | None = None
    maintenances: bool | None = None
    component_changes: bool | None = None


TOPICS = ("incidents", "maintenances", "componentChanges")
NOTHING_TO_HEAR = "choose at least one of incidents, maintenances and componentChanges"


def hears_something(preferences: Preferences) -> Preferences:
    """A subscriber that hears nothing is an unsubscribed one: refused, so that is said."""
    if not (preferences.incidents or preferences.maintenances or preferences.component_changes):
        raise RequestInvalid(
            "The request body failed validation.",
            [(field, NOTHING_TO_HEAR) for field in TOPICS],
        )
    return preferences


def check_address(address: str | None, field: str = "address") -> str:
    if address is None:
        raise RequestInvalid(
            "The request body failed validation.", [(field, f"{field} is required")]
        )
    if not _ADDRESS.fullmatch(address):
        raise RequestInvalid(
            "The request body failed validation.", [(field, "not an email address")]
        )
    try:
        return normalized_address(address)
    except ValueError as error:
        raise RequestInvalid("The request body failed validation.", [(field, str(error))]) from None


def check_url(url: str | None, allow_private: bool) -> str:
    """An absolute http(s) URL without credentials; a literal private address is refused now,
    a name that resolves to one is refused when sending."""

    def invalid(message: str) -> RequestInvalid:
        return RequestInvalid("The request body failed validation.", [("url", message)])

    if url is None:
        raise invalid("url is required")
    # urlsplit drops tabs and newlines and strips leading spaces and control characters, and an
    # HTTP client may treat them otherwise: refused, so the URL stored is the URL checked.
    if has_control_or_space(url):
        raise invalid("url must not contain spaces or control characters; percent-encode them")
    try:
        parts = urlsplit(url)
    except ValueError:  # unbalanced brackets, or a bracketed host that is no IP address
        raise invalid("url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("url must be an absolute http or https URL")
    if parts.username or parts.password:
        raise invalid("url must not carry credentials; the signature authenticates us")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise invalid("url has a port that is not a number from 0 to 65535") from None
    try:
        literal = ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is None and "[" in parts.netloc:
        raise invalid("url has a host in brackets that is not an IPv6 address")
    if literal is not None and not allow_private and not is_public(str(literal)):
        raise invalid("url points to an address that is not public")
    return url


def target_of(data: CreateSubscriber, allow_private: bool) -> str:
    if data.channel == "webhook":
        return check_url(data.url, allow_private)
    return check_address(data.address)


class SubscriberOut(Output):
    id: UUID
    organization_id: UUID
    status_page_id: UUID
    channel: str
    component_ids: list[UUID]
    incidents: bool
    maintenances: bool
    component_changes: bool
    # "pending_confirmation" until an address from the public form is confirmed.
    status: Literal["active", "pending_confirmation"]
    created_at: str
    confirmed_at: str | None
    url: str | msgspec.UnsetType = msgspec.UNSET
    address: str | msgspec.UnsetType = msgspec.UNSET
    # Shown once, when the webhook is created: Herald keeps it only to sign with.
    secret: str | msgspec.UnsetType = msgspec.UNSET

    @classmethod
    def of(cls, subscriber: Subscriber, secret: str | None = None) -> SubscriberOut:
        target = {"url" if subscriber.channel == "webhook" else "address": subscriber.target}
        return cls(
            id=subscriber.id,
            organization_id=subscriber.organization_id,
            status_page_id=subscriber.status_page_id,
            channel=subscriber.channel,
            component_ids=list(subscriber.component_ids),
            incidents=subscriber.notify_incidents,
            maintenances=subscriber.notify_maintenances,
            component_changes=subscriber.notify_component_changes,
            status="active" if subscriber.confirmed_at else "pending_confirmation",
            created_at=iso_ms(subscriber.created_at),
            confirmed_at=None
            if subscriber.confirmed_at is None
            else iso_ms(subscriber.confirmed_at),
            secret=msgspec.UNSET if secret is None else secret,
            **target,
        )


class DeliveryOut(Output):
    id: UUID
    organization_id: UUID
    status_page_id: UUID
    subscriber_id: UUID
    channel: str
    # "update", "maintenance" (a maintenance's notice), "component_update" or "confirmation"
    kind: str
    incident_id: UUID | None
    update_id: UUID | None
    status: DeliveryStatus
    attempts: int
    idempotency_key: str
    last_attempt_at: str | None
    last_error: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    created_at: str

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            organization_id=delivery.organization_id,
            status_page_id=delivery.status_page_id,
            subscriber_id=delivery.subscriber_id,
            channel=delivery.channel,
            kind=delivery.kind,
            incident_id=delivery.incident_id,
            update_id=delivery.update_id,
            status=delivery.status,
            attempts=delivery.attempts,
            idempotency_key=delivery.idempotency_key,
            last_attempt_at=iso_ms_or_none(delivery.last_attempt_at),
            last_error=delivery.last_error,
            next_attempt_at=iso_ms_or_none(delivery.next_attempt_at),
            delivered_at=iso_ms_or_none(delivery.delivered_at),
            created_at=iso_ms(delivery.created_at),
        )
