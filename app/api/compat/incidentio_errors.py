"""The incident.io dialect's one map from failures to HTTP.

Its envelope is {"type", "status", "request_id", "errors": [{"code", "message", "source"?}]}.
It documents a refused payload as a 422 validation_error whose errors point at the field to fix,
so every rule of the core answers that way here, naming the field in the dialect's own spelling;
a conflict (the incident changed under the request) is a 409, which a retry may get past.
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

# The domain's field names spelled as this dialect's request spells them.
_FIELDS = {"body": "message", "status_change": "incident_status"}
_INCIDENT = "status_page_incident_id"
_TYPES = {404: "not_found", 409: "conflict", 422: "validation_error"}
# Every code of app.domain.errors.CODES -> (status, errors[].code, source field). A refused
# update is a 422 validation_error pointing at a field: the one the domain names, in this
# dialect's spelling, or else the field given here (the incident, for a rule about it).
DOMAIN_ANSWERS: dict[str, tuple[int, str, str | None]] = {
    "not_found": (404, "not_found", None),
    "incident_resolved": (422, "incident_resolved", _INCIDENT),
    "update_limit_reached": (422, "update_limit_reached", _INCIDENT),
    "update_must_carry_body_or_status_change": (422, "is_required", None),
    "body_required_for_public": (422, "is_required", None),
    "invalid_status_transition": (422, "invalid_status_transition", None),
    "component_statuses_on_resolve": (422, "component_statuses_on_resolve", None),
    "no_public_surface": (422, "no_public_surface", _INCIDENT),
    "already_redacted": (422, "already_redacted", None),
    "maintenance_window_invalid": (422, "maintenance_window_invalid", None),
    "maintenance_window_in_past": (422, "maintenance_window_in_past", None),
    "maintenance_started": (422, "maintenance_started", None),
    "maintenance_finished": (422, "maintenance_finished", None),
    "component_not_affected": (422, "component_not_affected", None),
    "duplicate_component": (422, "duplicate_component", None),
    "unknown_component": (422, "unknown_component", None),
    "component_not_on_page": (422, "component_not_on_page", None),
    "duplicate_group_name": (422, "duplicate_group_name", None),
    "incident_exists": (409, "incident_exists", None),
    "maintenance_exists": (409, "maintenance_exists", None),
    "slug_taken": (409, "slug_taken", None),
    "subscriber_exists": (409, "subscriber_exists", None),
    "delivery_not_retryable": (409, "delivery_not_retryable", None),
    "write_conflict": (409, "write_conflict", None),
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
    status, code, field = DOMAIN_ANSWERS[error.code]
    if status == 404:
        return _not_found(request)
    if error.field is not None:
        field = field_path(error.field, lambda name: _FIELDS.get(name, name))
    return _response(request, status, _TYPES[status], [_item(code, error.message, field)])


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
