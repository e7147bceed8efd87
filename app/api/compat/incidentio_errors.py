"""The incident.io dialect's one map from failures to HTTP.

Its envelope is {"type", "status", "request_id", "errors": [{"code", "message", "source"?}]}.
It documents a refused payload as a 422 validation_error whose errors point at the field to fix,
so every rule of the core answers that way here, naming the field in the dialect's own spelling.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from app.api.body import DOCUMENT, is_missing
from app.api.errors import (
    HTTP_CODES,
    Forbidden,
    IdempotencyKeyInFlight,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    InvalidJson,
    NoCredentials,
    NotAuthorized,
    NotFound,
    RateLimited,
    RequestError,
    RequestInvalid,
    UnsupportedMediaType,
    field_path,
)
from app.api.request_id import log_unexpected, request_id_of
from app.domain.errors import DomainError

_NO_MESSAGE = "A message is required to post a status page incident update."

# Core rule code -> (source field, errors[].code, message); codes not listed keep the core's code,
# field and message. The core words some rules in v1's field names, so those are reworded.
_RULES: dict[str, tuple[str | None, str, str | None]] = {
    "incident_resolved": (
        "status_page_incident_id",
        "incident_resolved",
        "This status page incident is resolved; it accepts no further updates.",
    ),
    "update_limit_reached": ("status_page_incident_id", "update_limit_reached", None),
    "no_public_surface": (
        "status_page_incident_id",
        "no_public_surface",
        "This incident is on no published status page: publish a page that shows at least one "
        "of its components first.",
    ),
    "update_must_carry_body_or_status_change": ("message", "is_required", _NO_MESSAGE),
    "body_required_for_public": ("message", "is_required", _NO_MESSAGE),
    "invalid_status_transition": ("incident_status", "invalid_status_transition", None),
    "component_statuses_on_resolve": (
        "component_statuses",
        "component_statuses_on_resolve",
        'component_statuses must not be set when incident_status is "resolved": every component '
        'returns to "operational".',
    ),
}


def _item(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        item["source"] = {"field": field}
    return item


def _response(
    request: Request,
    status: int,
    kind: str,
    errors: list[dict[str, Any]],
    **extra: Any,
) -> Response:
    body = {
        "type": kind,
        "status": status,
        "request_id": request_id_of(request.scope),
        **extra,
        "errors": errors,
    }
    return Response(body, status_code=status)


def _not_found(request: Request) -> Response:
    message = "No status page incident with the given ID exists."
    return _response(request, 404, "not_found", [_item("not_found", message)])


def on_request_error(request: Request, error: RequestError) -> Response:
    match error:
        case NoCredentials():
            message = "No authorization material provided in request"
            item = _item("missing_authorization_material", message)
            return _response(request, 401, "authentication_error", [item])
        case NotAuthorized():
            item = _item("invalid_authorization_material", "The API key provided is not valid")
            return _response(request, 401, "authentication_error", [item])
        case Forbidden():
            return _response(
                request, 403, "authorization_error", [_item("missing_scope", error.message)]
            )
        case NotFound():
            return _not_found(request)
        case InvalidJson():
            return _response(request, 400, "bad_request", [_item("invalid_json", error.message)])
        case UnsupportedMediaType():
            return _response(
                request, 415, "unsupported_media_type", [_item(error.code, error.message)]
            )
        case RateLimited():
            retry_at = datetime.now(UTC) + timedelta(seconds=error.retry_after)
            message = (
                "Too many requests hit the API too quickly. "
                "We recommend an exponential backoff of your requests."
            )
            return _response(
                request,
                429,
                "too_many_requests",
                [_item("too_many_requests", message)],
                rate_limit={
                    "name": error.key_name,
                    "limit": error.limit,
                    "remaining": 0,
                    "retry_after": retry_at.strftime("%a, %d %b %Y %H:%M:%S UTC"),
                },
            )
        case IdempotencyKeyInFlight():
            return _response(request, 409, "conflict", [_item(error.code, error.message)])
        case IdempotencyKeyInvalid() | IdempotencyKeyReused():
            return _response(request, 422, "validation_error", [_item(error.code, error.message)])
        case RequestInvalid():
            items = [
                _item(
                    "is_required" if is_missing(pair) else "is_invalid",
                    pair[1],
                    None if pair[0] == DOCUMENT else pair[0],  # no field when the whole is wrong
                )
                for pair in error.fields
            ]
            return _response(request, 422, "validation_error", items)
    return _response(request, 400, "bad_request", [_item(error.code, error.message)])


def on_domain_error(request: Request, error: DomainError) -> Response:
    if error.code == "not_found":
        return _not_found(request)
    field, code, message = _RULES.get(error.code, (None, error.code, None))
    if error.field is not None:
        field = field_path(error.field)
    item = _item(code, message or error.message, field)
    return _response(request, 422, "validation_error", [item])


def on_http_exception(request: Request, error: HTTPException) -> Response:
    code = HTTP_CODES.get(error.status_code, "bad_request")
    return _response(request, error.status_code, code, [_item(code, error.detail)])


def on_unexpected(request: Request, error: Exception) -> Response:
    log_unexpected(request, error)
    message = "An unexpected error occurred on our side."
    return _response(request, 500, "internal_error", [_item("internal_error", message)])


EXCEPTION_HANDLERS = {
    RequestError: on_request_error,
    DomainError: on_domain_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
