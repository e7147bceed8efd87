"""The v1 dialect's one map from failures to HTTP: {"error": {code, message, requestId}}."""

from __future__ import annotations

from litestar import Request, Response
from litestar.exceptions import HTTPException

from app.api.errors import HTTP_CODES, FieldError, RequestError, field_path
from app.api.request_id import log_unexpected, request_id_of
from app.domain.errors import DomainError, FieldPath

_REQUEST_STATUS = {
    "not_authorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "invalid_json": 400,
    "unsupported_media_type": 415,
    "validation_error": 422,
    "idempotency_key_invalid": 422,
    "idempotency_key_reused": 422,
    "idempotency_key_in_flight": 409,
    "rate_limited": 429,
    "not_configured": 503,
}
# Every code of app.domain.errors.CODES. Rules are 400; an invalid input is a 422
# validation_error naming its field.
DOMAIN_STATUS = {
    "not_found": 404,
    "incident_resolved": 400,
    "update_limit_reached": 400,
    "update_must_carry_body_or_status_change": 400,
    "body_required_for_public": 400,
    "invalid_status_transition": 400,
    "component_statuses_on_resolve": 400,
    "no_public_surface": 400,
    "already_redacted": 400,
    "maintenance_window_invalid": 400,
    "maintenance_window_in_past": 400,
    "maintenance_started": 400,
    "maintenance_finished": 400,
    "component_not_affected": 422,
    "duplicate_component": 422,
    "unknown_component": 422,
    "component_not_on_page": 422,
    "duplicate_group_name": 422,
    "incident_exists": 409,
    "maintenance_exists": 409,
    "slug_taken": 409,
    "subscriber_exists": 409,
    "delivery_not_retryable": 409,
    "write_conflict": 409,
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_name(path: FieldPath) -> str:
    """("component_statuses", 0, "component_id") -> "componentStatuses[0].componentId"."""
    return field_path(path, _camel)


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    fields: list[FieldError] | None = None,
) -> Response:
    error: dict[str, object] = {
        "code": code,
        "message": message,
        "requestId": request_id_of(request.scope),
    }
    if fields is not None:
        error["fields"] = [{"field": field, "message": text} for field, text in fields]
    return Response({"error": error}, status_code=status)


def on_request_error(request: Request, error: RequestError) -> Response:
    fields = getattr(error, "fields", None)
    return error_response(request, _REQUEST_STATUS[error.code], error.code, error.message, fields)


def on_domain_error(request: Request, error: DomainError) -> Response:
    status = DOMAIN_STATUS[error.code]
    if status == 422:
        field = field_name(error.field) if error.field else "body"
        return error_response(
            request, 422, "validation_error", error.message, [(field, error.message)]
        )
    return error_response(request, status, error.code, error.message)


def on_http_exception(request: Request, error: HTTPException) -> Response:
    code = HTTP_CODES.get(error.status_code, "bad_request")
    return error_response(request, error.status_code, code, error.detail)


def on_unexpected(request: Request, error: Exception) -> Response:
    log_unexpected(request, error)
    return error_response(request, 500, "server_error", "An unexpected error occurred on our side.")


EXCEPTION_HANDLERS = {
    RequestError: on_request_error,
    DomainError: on_domain_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
