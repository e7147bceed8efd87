"""What each operation of the API reference is called, and the heading it is listed under.

Kept apart from the handlers so that the reference reads as one text; a test holds every
operation to having a summary and a heading, and these tables to naming only what exists.
"""

from __future__ import annotations

from litestar.openapi.spec import Tag

# Headings in the order the reference shows them, each with the path prefixes it gathers;
# the first prefix a path starts with decides.
HEADINGS: tuple[tuple[Tag, tuple[str, ...]], ...] = (
    (
        Tag(name="Incidents", description="Open incidents, post updates, redact them."),
        ("/v1/incidents",),
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
        ("/status/{slug}/subscri", "/status/{slug}/unsubscribe"),
    ),
    (
        Tag(
            name="Public pages",
            description="No key: the status page, Statuspage-compatible JSON and feeds.",
        ),
        ("/status/",),
    ),
)


def heading(path: str) -> str | None:
    """The heading an operation on `path` is listed under."""
    for tag, prefixes in HEADINGS:
        if path.startswith(prefixes):
            return tag.name
    return None


UPTIMEIO_UPDATES = (
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
    ("/v1/status-pages/{page_id}/subscribers", "get"): "List a status page's subscribers",
    ("/v1/status-pages/{page_id}/subscribers", "post"): "Add a webhook or email subscriber",
    ("/v1/status-pages/{page_id}/subscribers/{subscriber_id}", "get"): "Get a subscriber",
    ("/v1/status-pages/{page_id}/subscribers/{subscriber_id}", "delete"): "Remove a subscriber",
    ("/v1/status-pages/{page_id}/deliveries", "get"): "List a status page's deliveries",
    (
        "/v1/status-pages/{page_id}/deliveries/{delivery_id}/retry",
        "post",
    ): "Retry a failed or dead delivery",
    ("/v2/status_page_incident_updates", "post"): "Post a public update (incident.io dialect)",
    (UPTIMEIO_UPDATES, "post"): "Post a public update (uptimeio dialect)",
    ("/status/{slug}", "get"): "The public status page (HTML)",
    ("/status/{slug}/api/v2/summary.json", "get"): "Statuspage summary: status, components, "
    "open incidents",
    ("/status/{slug}/api/v2/status.json", "get"): "Statuspage status: the page's indicator",
    ("/status/{slug}/api/v2/components.json", "get"): "Statuspage components",
    ("/status/{slug}/api/v2/incidents.json", "get"): "Statuspage incidents",
    ("/status/{slug}/api/v2/incidents/unresolved.json", "get"): "Statuspage unresolved incidents",
    ("/status/{slug}/history.atom", "get"): "Incident history as an Atom feed",
    ("/status/{slug}/history.rss", "get"): "Incident history as an RSS feed",
    ("/status/{slug}/subscribe", "post"): "Subscribe an email address (sends a confirmation)",
    ("/status/{slug}/subscriptions/confirm", "get"): "The page a confirmation link opens",
    ("/status/{slug}/subscriptions/confirm", "post"): "Confirm a subscription",
    ("/status/{slug}/unsubscribe", "get"): "The page an unsubscribe link opens",
    ("/status/{slug}/unsubscribe", "post"): "Unsubscribe, also one-click from a mail client",
}
