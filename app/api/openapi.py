"""The OpenAPI document's request bodies, error responses and examples.

Handlers read their bodies themselves (so that 404 comes before 422), which leaves litestar
nothing to describe them from: this module adds each write's body schema, taken from the same
msgspec types that decode it, and every operation's error answers in its dialect's own shape
(replacing litestar's own 400, which Herald never sends), with examples from the reference
documents. What it tells a reader beyond shapes (headings, summaries, keys) is openapi_guide's.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    RequestBody,
    Schema,
)

from app.api.compat.incidentio import CreateUpdateIn
from app.api.compat.incidentio_errors import DOMAIN_ANSWERS as INCIDENTIO_ANSWERS
from app.api.compat.uptimeio import AddUpdateIn
from app.api.compat.uptimeio_errors import DOMAIN_ANSWERS as UPTIMEIO_ANSWERS
from app.api.openapi_guide import HTTP_METHODS, annotate
from app.api.public.subscriptions import SubscribeIn
from app.api.v1.errors import DOMAIN_STATUS as V1_STATUS
from app.api.v1.maintenance_schemas import (
    EditMaintenanceIn,
    PostMaintenanceUpdateIn,
    ScheduleMaintenanceIn,
)
from app.api.v1.schemas import (
    CreateComponent,
    CreateIncident,
    CreateStatusPage,
    EditIncidentIn,
    EditStatusPage,
    PostUpdateIn,
)
from app.api.v1.subscriber_schemas import CreateSubscriber, EditSubscriber
from app.domain.errors import RULES_OF

Dialect = Literal["v1", "incidentio", "uptimeio"]

# What a command on an incident may answer besides its rules, in the domain's codes.
_INCIDENT_ERRORS = ("not_found", "write_conflict")
_COMPONENT_ERRORS = ("component_not_affected", "duplicate_component")
_GROUP_ERRORS = (
    "unknown_component",
    "component_not_on_page",
    "duplicate_component",
    "duplicate_group_name",
)
# v1 caps no incident's updates; incident.io promises a limit of 100.
_V1_UPDATE_RULES = tuple(code for code in RULES_OF["PostUpdate"] if code != "update_limit_reached")
COMMON = {
    401: ("not_authorized",),
    403: ("forbidden",),
    409: ("idempotency_key_in_flight",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    422: ("validation_error", "idempotency_key_invalid", "idempotency_key_reused"),
    429: ("rate_limited",),
    500: ("server_error",),
}


Errors = dict[int, tuple[str, ...]]


def _merge(*maps: Errors) -> Errors:
    """Codes by status from every map, each code once, in the order given."""
    merged: dict[int, dict[str, None]] = {}
    for errors in maps:
        for status, codes in errors.items():
            merged.setdefault(status, {}).update(dict.fromkeys(codes))
    return {status: tuple(codes) for status, codes in merged.items()}


def _answers(dialect: Dialect, *codes: str) -> Errors:
    """Domain error codes as `dialect` answers them: by its own status and code."""
    answered: list[Errors] = []
    for code in codes:
        match dialect:
            case "v1":
                status = V1_STATUS[code]
                answered.append({status: ("validation_error" if status == 422 else code,)})
            case "incidentio":
                status, shown, _ = INCIDENTIO_ANSWERS[code]
                answered.append({status: (shown,)})
            case "uptimeio":
                status, shown, _ = UPTIMEIO_ANSWERS[code]
                answered.append({status: (shown,)})
    return _merge(*answered)


class FieldMessage(msgspec.Struct, frozen=True):
    field: str
    message: str


class V1ErrorDetail(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    message: str
    request_id: str
    fields: list[FieldMessage] | msgspec.UnsetType = msgspec.UNSET


class V1Error(msgspec.Struct, frozen=True):
    """Herald's own error shape: the v1 API and the public pages."""

    error: V1ErrorDetail


class IncidentioSource(msgspec.Struct, frozen=True):
    field: str


class IncidentioErrorItem(msgspec.Struct, frozen=True):
    code: str
    message: str
    source: IncidentioSource | msgspec.UnsetType = msgspec.UNSET


class IncidentioError(msgspec.Struct, frozen=True):
    type: str
    status: int
    request_id: str
    errors: list[IncidentioErrorItem]
    rate_limit: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class UptimeioErrorDetail(msgspec.Struct, frozen=True):
    code: str
    message: str


class UptimeioError(msgspec.Struct, frozen=True):
    success: Literal[False]
    error: UptimeioErrorDetail


ERROR_SHAPES: dict[Dialect, type] = {
    "v1": V1Error,
    "incidentio": IncidentioError,
    "uptimeio": UptimeioError,
}
# What any read of the v1 API may answer besides 200.
READ_ERRORS = {
    401: ("not_authorized",),
    403: ("forbidden",),
    422: ("validation_error",),
    429: ("rate_limited",),
    500: ("server_error",),
}
NOT_CONFIGURED = {503: ("not_configured",)}


class SubscriptionSent(msgspec.Struct, frozen=True):
    status: Literal["pending_confirmation"]
    message: str


class SubscribeOut(msgspec.Struct, frozen=True):
    data: SubscriptionSent


class Operation(msgspec.Struct, frozen=True, kw_only=True):
    body: type | None = None
    example: dict[str, Any] | None = None
    # The success answer (status, JSON shape, what it means) where the handler's annotation
    # cannot say it; a page (HTML) may come instead, to a browser's form post.
    answer: tuple[int, type, str] | None = None
    errors: dict[int, tuple[str, ...]] = {}
    # Statuses answered with an HTML page (to a browser's form post or a link from a mail),
    # with what the page says.
    pages: dict[int, str] = {}


PUBLIC_PAGE = Operation(errors={404: ("not_found",), 500: ("server_error",)})
# A subscription link from a mail: its token, not the path, says whom it is for.
SUBSCRIPTION_LINK = Operation(
    errors={500: ("server_error",)} | NOT_CONFIGURED,
    pages={400: "The link is not valid, or it has expired."},
)


V1_UPDATE_EXAMPLE = {
    "body": "We have identified the cause as a misconfigured rate limit on the payment gateway."
    " Working on a rollback now.",
    "statusChange": "identified",
    "visibility": "public",
}
INCIDENTIO_EXAMPLE = {
    "component_statuses": [
        {"component_id": "01FCNDV6P870EA6S7TK1DSYDG2", "component_status": "operational"}
    ],
    "incident_status": "investigating",
    "message": "The fix has been deployed and we are monitoring the situation. Some users may"
    " still experience intermittent issues.",
    "notify_subscribers": True,
    "status_page_incident_id": "01FCNDV6P870EA6S7TK1DSYDG1",
}
UPTIMEIO_EXAMPLE = {
    "message": "We have identified the root cause - a misconfigured load balancer."
    " We are implementing a fix now.",
    "status": "identified",
}

_MAINTENANCE = "/v1/maintenances/{maintenance_id}"

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("/v1/maintenances", "post"): Operation(
        body=ScheduleMaintenanceIn,
        example={
            "title": "Database upgrade",
            "description": "The primary database moves to new hardware; payments may pause.",
            "componentIds": ["6ba7b810-9dad-11d1-80b4-00c04fd430c8"],
            "scheduledFor": "2025-04-08T22:00:00Z",
            "scheduledUntil": "2025-04-09T01:00:00Z",
        },
        errors=_merge(
            {400: ("invalid_json",)},
            _answers("v1", "unknown_component", *RULES_OF["ScheduleMaintenance"]),
        ),
    ),
    (_MAINTENANCE, "patch"): Operation(
        body=EditMaintenanceIn,
        example={"scheduledUntil": "2025-04-09T02:00:00Z"},
        errors=_answers("v1", *_INCIDENT_ERRORS, "unknown_component", *RULES_OF["EditMaintenance"]),
    ),
    (f"{_MAINTENANCE}/start", "post"): Operation(
        errors=_answers("v1", *_INCIDENT_ERRORS, *RULES_OF["StartMaintenance"]),
    ),
    (f"{_MAINTENANCE}/complete", "post"): Operation(
        errors=_answers("v1", *_INCIDENT_ERRORS, *RULES_OF["CompleteMaintenance"]),
    ),
    (f"{_MAINTENANCE}/cancel", "post"): Operation(
        errors=_answers("v1", *_INCIDENT_ERRORS, *RULES_OF["CancelMaintenance"]),
    ),
    (f"{_MAINTENANCE}/updates", "post"): Operation(
        body=PostMaintenanceUpdateIn,
        example={"visibility": "public", "body": "The upgrade is done; we are checking it."},
        errors=_merge(
            {400: ("invalid_json",)},
            _answers("v1", *_INCIDENT_ERRORS, *RULES_OF["PostMaintenanceUpdate"]),
        ),
    ),
    (f"{_MAINTENANCE}/updates/{{update_id}}/redact", "post"): Operation(
        errors=_answers("v1", *_INCIDENT_ERRORS, *RULES_OF["RedactMaintenanceUpdate"]),
    ),
    ("/v1/incidents", "post"): Operation(
        body=CreateIncident,
        example={
            "title": "Payments elevated error rate",
            "severity": "critical",
            "ownerScheduleId": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
            "componentIds": ["6ba7b810-9dad-11d1-80b4-00c04fd430c8"],
        },
    ),
    ("/v1/incidents/{incident_id}", "patch"): Operation(
        body=EditIncidentIn,
        example={"severity": "major"},
        errors=_answers("v1", *_INCIDENT_ERRORS, *RULES_OF["EditIncident"]),
    ),
    ("/v1/incidents/{incident_id}/updates", "post"): Operation(
        body=PostUpdateIn,
        example=V1_UPDATE_EXAMPLE,
        errors=_merge(
            {400: ("invalid_json",)},
            _answers("v1", *_INCIDENT_ERRORS, *_COMPONENT_ERRORS, *_V1_UPDATE_RULES),
        ),
    ),
    ("/v1/incidents/{incident_id}/updates/{update_id}/redact", "post"): Operation(
        errors=_answers("v1", *_INCIDENT_ERRORS, *RULES_OF["RedactUpdate"]),
    ),
    ("/v1/components", "post"): Operation(body=CreateComponent, example={"name": "Payments API"}),
    ("/v1/status-pages", "post"): Operation(
        body=CreateStatusPage,
        example={"name": "Acme", "slug": "acme", "componentIds": [], "published": True},
        errors=_answers("v1", "slug_taken", *_GROUP_ERRORS),
    ),
    ("/v1/status-pages/{page_id}", "patch"): Operation(
        body=EditStatusPage,
        example={"published": True},
        errors=_answers("v1", "not_found", "slug_taken", *_GROUP_ERRORS),
    ),
    ("/v1/status-pages/{page_id}/subscribers", "post"): Operation(
        body=CreateSubscriber,
        example={"channel": "webhook", "url": "https://hooks.example.com/herald"},
        errors=_answers("v1", "not_found", "unknown_component", "subscriber_exists")
        | NOT_CONFIGURED,
    ),
    ("/v1/status-pages/{page_id}/subscribers/{subscriber_id}", "patch"): Operation(
        body=EditSubscriber,
        example={"incidents": False, "componentChanges": True, "componentIds": []},
        errors=_answers("v1", "not_found", "unknown_component"),
    ),
    ("/status/{slug}/subscribe", "post"): Operation(
        body=SubscribeIn,
        example={"email": "reader@example.com", "componentIds": []},
        answer=(202, SubscribeOut, "A confirmation mail is on its way, unless already subscribed."),
        errors={
            400: ("invalid_json",),
            404: ("not_found",),
            413: ("payload_too_large",),
            415: ("unsupported_media_type",),
            422: ("validation_error",),
            429: ("rate_limited",),
            500: ("server_error",),
        },
        pages={
            422: "The status page's form was not valid (a form post).",
            429: "Too many subscription requests from this network (a form post).",
        },
    ),
    ("/status/{slug}/subscriptions/confirm", "get"): SUBSCRIPTION_LINK,
    ("/status/{slug}/subscriptions/confirm", "post"): SUBSCRIPTION_LINK,
    ("/status/{slug}/subscription", "get"): SUBSCRIPTION_LINK,
    ("/status/{slug}/subscription", "post"): Operation(
        errors={500: ("server_error",)} | NOT_CONFIGURED,
        pages={
            400: "The link is not valid, or it has expired.",
            422: "Nothing chosen to hear, or no component of the page chosen.",
        },
    ),
    ("/status/{slug}/unsubscribe", "get"): SUBSCRIPTION_LINK,
    ("/status/{slug}/unsubscribe", "post"): SUBSCRIPTION_LINK,
    ("/v1/status-pages/{page_id}/deliveries/{delivery_id}/retry", "post"): Operation(
        errors=_answers("v1", "not_found", "delivery_not_retryable"),
    ),
    ("/v2/status_page_incident_updates", "post"): Operation(
        body=CreateUpdateIn,
        example=INCIDENTIO_EXAMPLE,
        errors=_merge(
            {422: ("is_required", "is_invalid")},
            _answers("incidentio", *_INCIDENT_ERRORS, *_COMPONENT_ERRORS, *RULES_OF["PostUpdate"]),
        ),
    ),
    (
        "/api/projects/{project_id}/status-pages/{status_page_id}/incidents/{incident_id}/updates",
        "post",
    ): Operation(
        body=AddUpdateIn,
        example=UPTIMEIO_EXAMPLE,
        errors=_answers("uptimeio", *_INCIDENT_ERRORS, *RULES_OF["PostUpdate"]),
    ),
}


def _error_example(dialect: Dialect, status: int, code: str) -> dict[str, Any]:
    match dialect:
        case "v1":
            return {"error": {"code": code, "message": "…", "requestId": "req_…"}}
        case "incidentio":
            return {
                "type": "validation_error" if status == 422 else code,
                "status": status,
                "request_id": "req_…",
                "errors": [{"code": code, "message": "…"}],
            }
        case "uptimeio":
            return {"success": False, "error": {"code": code.upper(), "message": "…"}}


def _dialect(path: str) -> Dialect:
    """Which error shape a path answers in; the public pages answer in v1's."""
    if path.startswith("/v2/"):
        return "incidentio"
    if path.startswith("/api/"):
        return "uptimeio"
    return "v1"


def _undescribed(path: str) -> Operation:
    """An operation OPERATIONS does not describe: a read, a deletion, or a public page."""
    if path.startswith("/status/"):
        return PUBLIC_PAGE
    errors = dict(READ_ERRORS)
    if "{" in path:
        errors[404] = ("not_found",)
    return Operation(errors=errors)


def _schema(struct: type, components: dict[str, Any]) -> Any:
    (schema,), definitions = msgspec.json.schema_components(
        [struct], ref_template="#/components/schemas/{name}"
    )
    components.update(definitions)
    return schema


def _error_responses(
    operation: Operation, dialect: Dialect, error_schema: Any
) -> dict[str, OpenAPIResponse]:
    responses = {}
    for status in sorted(operation.errors.keys() | operation.pages.keys()):
        codes = operation.errors.get(status, ())
        content = {}
        if codes:
            content["application/json"] = OpenAPIMediaType(
                schema=error_schema, example=_error_example(dialect, status, codes[0])
            )
        if status in operation.pages:
            content["text/html"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
        said = [f"`{code}`" for code in codes] + [operation.pages.get(status, "")]
        responses[str(status)] = OpenAPIResponse(
            description=", ".join(filter(None, said)), content=content
        )
    return responses


def document_api(app: Litestar) -> None:
    annotate(app)
    openapi = app.openapi_schema
    components = openapi.components.schemas
    error_schemas = {dialect: _schema(shape, components) for dialect, shape in ERROR_SHAPES.items()}
    for path, item in openapi.paths.items():
        for method in HTTP_METHODS:
            operation = getattr(item, method)
            if operation is None:
                continue
            described = OPERATIONS.get((path, method))
            if described is None:
                described = _undescribed(path)
            elif not path.startswith("/status/"):  # the public pages take no key, no retries
                described = msgspec.structs.replace(
                    described, errors=_merge(COMMON, described.errors)
                )
            if described.body is not None:
                operation.request_body = RequestBody(
                    required=True,
                    content={
                        "application/json": OpenAPIMediaType(
                            schema=_schema(described.body, components),
                            example=described.example,
                        )
                    },
                )
            if described.answer is not None:
                status, shape, meaning = described.answer
                operation.responses[str(status)] = OpenAPIResponse(
                    description=meaning,
                    content={
                        "application/json": OpenAPIMediaType(schema=_schema(shape, components)),
                        "text/html": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                    },
                )
            dialect = _dialect(path)
            operation.responses.pop("400", None)  # litestar's own shape
            operation.responses.update(_error_responses(described, dialect, error_schemas[dialect]))
