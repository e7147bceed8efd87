"""What the API reference tells a reader beyond shapes: headings, summaries, and keys.

Summaries are kept apart from the handlers so that the reference reads as one text; a test
holds every operation to having a summary and a heading, and SUMMARIES to naming only
operations that exist. The two ways to send a key are declared once and applied to exactly the
operations behind the key guard, with the scope each asks for, so that "try it" sends the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from litestar import Litestar
from litestar.openapi.spec import OpenAPI, Operation, SecurityScheme, Tag
from litestar.routes import BaseRoute, HTTPRoute

from app.api.auth import authorize

_WHERE_KEYS_COME_FROM = "Create one with `herald api-key create` (`herald up` prints one)."
# The two headers auth.py reads a key from; either will do.
SECURITY_SCHEMES = {
    "BearerAuth": SecurityScheme(
        type="http",
        scheme="bearer",
        description=f"An API key as `Authorization: Bearer KEY`. {_WHERE_KEYS_COME_FROM}",
    ),
    "ApiKeyAuth": SecurityScheme(
        type="apiKey",
        name="X-API-Key",
        security_scheme_in="header",
        description=f"An API key as `X-API-Key: KEY`. {_WHERE_KEYS_COME_FROM}",
    ),
}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Headings in the order the reference shows them, each with the path prefixes it gathers;
# the first prefix a path starts with decides.
HEADINGS: tuple[tuple[Tag, tuple[str, ...]], ...] = (
    (
        Tag(name="Incidents", description="Open incidents, post updates, redact them."),
        ("/v1/incidents",),
    ),
    (
        Tag(
            name="Scheduled maintenance",
            description="Announce planned work; the system starts and completes it on time.",
        ),
        ("/v1/maintenances",),
    ),
    (
        Tag(name="Subscribers", description="Webhook and email subscribers, and deliveries."),
        ("/v1/status-pages/{page_id}/subscribers", "/v1/status-pages/{page_id}/deliveries"),
    ),
    (Tag(name="Status pages", description="Which components a page shows."), ("/v1/status-pages",)),
    (Tag(name="Components"), ("/v1/components",)),
    (
        Tag(
            name="Drop-in endpoints",
            description="Updates posted as incident.io or uptimeio scripts post them.",
        ),
        ("/v2/", "/api/"),
    ),
    (
        Tag(
            name="Public subscriptions",
            description="No key: the status page's form and the links in mails.",
        ),
        ("/status/{slug}/subscribe", "/status/{slug}/subscriptions/", "/status/{slug}/unsubscribe"),
    ),
    (
        Tag(
            name="Public pages",
            description="No key: the status page, Statuspage-compatible JSON and feeds.",
        ),
        ("/status/",),
    ),
)


def operations(openapi: OpenAPI) -> Iterator[tuple[str, str, Operation]]:
    """Every operation of the document with its path and lowercase method."""
    for path, item in openapi.paths.items():
        for method in HTTP_METHODS:
            if (operation := getattr(item, method)) is not None:
                yield path, method, operation


def _heading(path: str) -> str | None:
    for tag, prefixes in HEADINGS:
        if path.startswith(prefixes):
            return tag.name
    return None


_UPTIMEIO_UPDATES = (
    "/api/projects/{project_id}/status-pages/{status_page_id}/incidents/{incident_id}/updates"
)

SUMMARIES: dict[tuple[str, str], str] = {
    ("/v1/components", "get"): "List components",
    ("/v1/components", "post"): "Create a component",
    ("/v1/components/{component_id}", "get"): "Get a component",
    ("/v1/status-pages", "get"): "List status pages",
    ("/v1/status-pages", "post"): "Create a status page",
    ("/v1/status-pages/{page_id}", "get"): "Get a status page",
    ("/v1/status-pages/{page_id}", "patch"): "Edit a status page",
    ("/v1/incidents", "get"): "List incidents, newest first",
    ("/v1/incidents", "post"): "Open an incident",
    ("/v1/incidents/{incident_id}", "get"): "Get an incident",
    ("/v1/incidents/{incident_id}", "patch"): "Edit an incident's title, severity or components",
    ("/v1/incidents/{incident_id}/events", "get"): "Get an incident's audit trail, event by event",
    ("/v1/incidents/{incident_id}/updates", "get"): "List an incident's updates, internal too",
    ("/v1/incidents/{incident_id}/updates", "post"): "Post an update, public or internal",
    ("/v1/incidents/{incident_id}/updates/{update_id}/redact", "post"): "Redact an update",
    ("/v1/maintenances", "get"): "List scheduled maintenances, newest first",
    ("/v1/maintenances", "post"): "Schedule a maintenance",
    ("/v1/maintenances/{maintenance_id}", "get"): "Get a scheduled maintenance",
    ("/v1/maintenances/{maintenance_id}", "patch"): "Edit or reschedule a maintenance",
    ("/v1/maintenances/{maintenance_id}/start", "post"): "Start a maintenance now",
    ("/v1/maintenances/{maintenance_id}/complete", "post"): "Complete a maintenance now",
    ("/v1/maintenances/{maintenance_id}/cancel", "post"): "Cancel a maintenance not yet started",
    ("/v1/maintenances/{maintenance_id}/updates", "get"): "List a maintenance's updates",
    ("/v1/maintenances/{maintenance_id}/updates", "post"): "Post an update on a maintenance",
    (
        "/v1/maintenances/{maintenance_id}/updates/{update_id}/redact",
        "post",
    ): "Redact a maintenance's update",
    ("/v1/status-pages/{page_id}/subscribers", "get"): "List a status page's subscribers",
    ("/v1/status-pages/{page_id}/subscribers", "post"): "Add a webhook or email subscriber",
    ("/v1/status-pages/{page_id}/subscribers/{subscriber_id}", "get"): "Get a subscriber",
    (
        "/v1/status-pages/{page_id}/subscribers/{subscriber_id}",
        "patch",
    ): "Choose what a subscriber hears",
    ("/v1/status-pages/{page_id}/subscribers/{subscriber_id}", "delete"): "Remove a subscriber",
    ("/v1/status-pages/{page_id}/deliveries", "get"): "List a status page's deliveries",
    (
        "/v1/status-pages/{page_id}/deliveries/{delivery_id}/retry",
        "post",
    ): "Retry a failed or dead delivery",
    ("/v2/status_page_incident_updates", "post"): "Post a public update (incident.io dialect)",
    (_UPTIMEIO_UPDATES, "post"): "Post a public update (uptimeio dialect)",
    ("/status/{slug}", "get"): "The public status page (HTML)",
    ("/status/{slug}/api/v2/summary.json", "get"): "Statuspage summary of the whole page",
    ("/status/{slug}/api/v2/status.json", "get"): "Statuspage status: the page's indicator",
    ("/status/{slug}/api/v2/components.json", "get"): "Statuspage components",
    ("/status/{slug}/api/v2/incidents.json", "get"): "Statuspage incidents",
    ("/status/{slug}/api/v2/incidents/unresolved.json", "get"): "Statuspage unresolved incidents",
    (
        "/status/{slug}/api/v2/scheduled-maintenances.json",
        "get",
    ): "Statuspage scheduled maintenances, the 50 latest",
    (
        "/status/{slug}/api/v2/scheduled-maintenances/upcoming.json",
        "get",
    ): "Statuspage maintenances not yet started",
    (
        "/status/{slug}/api/v2/scheduled-maintenances/active.json",
        "get",
    ): "Statuspage maintenances in progress",
    ("/status/{slug}/history.atom", "get"): "Incident history as an Atom feed",
    ("/status/{slug}/history.rss", "get"): "Incident history as an RSS feed",
    ("/status/{slug}/incidents/{incident_id}", "get"): "One incident's page (HTML)",
    ("/status/{slug}/history", "get"): "This month's incidents (HTML)",
    ("/status/{slug}/history/{month}", "get"): "The incidents of a month, YYYY-MM (HTML)",
    ("/status/{slug}/subscribe", "post"): "Subscribe an email address (sends a confirmation)",
    ("/status/{slug}/subscriptions/confirm", "get"): "The page a confirmation link opens",
    ("/status/{slug}/subscriptions/confirm", "post"): "Confirm a subscription",
    ("/status/{slug}/subscription", "get"): "The page a manage-or-unsubscribe link opens",
    ("/status/{slug}/subscription", "post"): "Save what a subscriber hears",
    ("/status/{slug}/unsubscribe", "get"): "The page an unsubscribe link opens",
    ("/status/{slug}/unsubscribe", "post"): "Unsubscribe, also one-click from a mail client",
}


def _scopes(routes: Iterable[BaseRoute]) -> dict[tuple[str, str], str]:
    """The scope each operation behind API keys asks for, by path and method."""
    scopes = {}
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.resolve_before_request() is authorize and "scope" in handler.opt:
                for method in handler.http_methods:
                    scopes[(route.path_format, method.lower())] = handler.opt["scope"]
    return scopes


def annotate(app: Litestar) -> None:
    """Give the app's OpenAPI document its headings, summaries and security requirements."""
    openapi = app.openapi_schema
    openapi.components.security_schemes = dict(SECURITY_SCHEMES)
    openapi.tags = [tag for tag, _ in HEADINGS]
    scopes = _scopes(app.routes)
    for path, method, operation in operations(openapi):
        operation.summary = SUMMARIES.get((path, method), operation.summary)
        if tag := _heading(path):
            operation.tags = [tag]
        if scope := scopes.get((path, method)):
            # Role names in the requirement (OpenAPI 3.1 allows them for any scheme), and in
            # words for the reader.
            operation.security = [{name: [scope]} for name in SECURITY_SCHEMES]
            needs = f"Needs an API key with the `{scope}` scope."
            operation.description = "\n\n".join(filter(None, (operation.description, needs)))
