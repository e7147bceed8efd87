"""The uptimeio dialect's one map from failures to HTTP.

Its envelope is {"success": false, "error": {"code", "message"}}. Validation errors are HTTP 400
and worded as its zod schemas word them, "Validation failed: <field>: <issue>", so that messages
clients already match on (the documented ones) come out exactly the same.
"""

from __future__ import annotations

import re

from litestar import Request, Response
from litestar.exceptions import HTTPException

from app.api.body import DOCUMENT, is_missing
from app.api.errors import (
    HTTP_CODES,
    FieldError,
    Forbidden,
    IdempotencyKeyInFlight,
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
from app.api.request_id import log_unexpected
from app.domain.errors import DomainError
from app.domain.values import STATUS_ORDER

INCIDENT_NOT_FOUND = "Incident not found"
PAGE_NOT_FOUND = "Status page not found"
_NO_TEXT = "message: String must contain at least 1 non-whitespace character(s)"

# The domain's field names spelled as this dialect's request spells them.
_FIELDS = {"body": "message", "status_change": "status"}
# Every code of app.domain.errors.CODES -> (status, code, message). A None message is the
# domain's own, after its field ("status: ...") on a 400, as zod words an issue.
# The path's page shows the incident (or the command is refused as not_found), so
# no_public_surface cannot happen here; were it to, the incident is not found there either.
DOMAIN_ANSWERS: dict[str, tuple[int, str, str | None]] = {
    "not_found": (404, "NOT_FOUND", INCIDENT_NOT_FOUND),
    "incident_resolved": (
        400,
        "VALIDATION_ERROR",
        "Incident is already resolved and accepts no further updates",
    ),
    "update_limit_reached": (400, "VALIDATION_ERROR", None),
    "update_must_carry_body_or_status_change": (400, "VALIDATION_ERROR", _NO_TEXT),
    "body_required_for_public": (400, "VALIDATION_ERROR", _NO_TEXT),
    "invalid_status_transition": (400, "VALIDATION_ERROR", None),
    "component_statuses_on_resolve": (400, "VALIDATION_ERROR", None),
    "no_public_surface": (404, "NOT_FOUND", INCIDENT_NOT_FOUND),
    "already_redacted": (400, "VALIDATION_ERROR", None),
    "maintenance_window_invalid": (400, "VALIDATION_ERROR", None),
    "maintenance_window_in_past": (400, "VALIDATION_ERROR", None),
    "maintenance_started": (400, "VALIDATION_ERROR", None),
    "maintenance_finished": (400, "VALIDATION_ERROR", None),
    "component_not_affected": (400, "VALIDATION_ERROR", None),
    "duplicate_component": (400, "VALIDATION_ERROR", None),
    "unknown_component": (400, "VALIDATION_ERROR", None),
    "component_not_on_page": (400, "VALIDATION_ERROR", None),
    "duplicate_group_name": (400, "VALIDATION_ERROR", None),
    "incident_exists": (409, "CONFLICT", None),
    "maintenance_exists": (409, "CONFLICT", None),
    "slug_taken": (409, "CONFLICT", None),
    "subscriber_exists": (409, "CONFLICT", None),
    "delivery_not_retryable": (409, "CONFLICT", None),
    "write_conflict": (409, "CONFLICT", None),
}

# msgspec's wording -> zod's. The schema's only enum is `status`, so its values are spelled out.
_ZOD = [
    (
        re.compile(r"Expected `str` of length >= (\d+)"),
        "String must contain at least {} character(s)",
    ),
    (
        re.compile(r"Expected `str` of length <= (\d+)"),
        "String must contain at most {} character(s)",
    ),
    (
        re.compile(r"Invalid enum value .*"),
        "Invalid enum value. Expected " + " | ".join(f"'{s}'" for s in STATUS_ORDER),
    ),
    (re.compile(r"Expected `(\w+)`, got `(\w+)`"), "Expected {}, received {}"),
]
_JS_TYPES = {"str": "string", "int": "number", "float": "number", "bool": "boolean"}


def _zod_wording(message: str) -> str:
    for pattern, wording in _ZOD:
        match = pattern.fullmatch(message)
        if match:
            return wording.format(*(_JS_TYPES.get(part, part) for part in match.groups()))
    return message


def _zod_issue(error: FieldError) -> str:
    field, message = error
    issue = "Required" if is_missing(error) else _zod_wording(message)
    # zod gives an issue with the document as a whole no path.
    return issue if field == DOCUMENT else f"{field}: {issue}"


def _response(status: int, code: str, message: str) -> Response:
    return Response(
        {"success": False, "error": {"code": code, "message": message}}, status_code=status
    )


def _invalid(issues: str) -> Response:
    return _response(400, "VALIDATION_ERROR", f"Validation failed: {issues}")


def on_request_error(request: Request, error: RequestError) -> Response:
    match error:
        case NoCredentials():
            return _response(401, "UNAUTHORIZED", "API key is required")
        case NotAuthorized():
            return _response(401, "UNAUTHORIZED", "Invalid API key")
        case Forbidden():
            return _response(403, "FORBIDDEN", "You do not have permission to update this incident")
        case NotFound():
            return _response(404, "NOT_FOUND", error.message)
        case InvalidJson():
            return _invalid("Malformed JSON in request body")
        case UnsupportedMediaType():
            return _response(415, "UNSUPPORTED_MEDIA_TYPE", error.message)
        case RateLimited():
            return _response(429, "RATE_LIMITED", error.message)
        case IdempotencyKeyInFlight():
            return _response(409, "CONFLICT", error.message)
        case IdempotencyKeyReused():
            return _response(422, "IDEMPOTENCY_KEY_REUSED", error.message)
        case RequestInvalid():
            return _invalid(", ".join(_zod_issue(pair) for pair in error.fields))
    return _invalid(error.message)


def on_domain_error(request: Request, error: DomainError) -> Response:
    if error.code == "not_found" and error.field == ("status_page_id",):
        return _response(404, "NOT_FOUND", PAGE_NOT_FOUND)
    status, code, message = DOMAIN_ANSWERS[error.code]
    if message is None:
        message = error.message
        if error.field is not None:
            message = f"{field_path(error.field, lambda name: _FIELDS.get(name, name))}: {message}"
    if status == 400:
        return _invalid(message)
    return _response(status, code, message)


def on_http_exception(request: Request, error: HTTPException) -> Response:
    code = HTTP_CODES.get(error.status_code, "bad_request").upper()
    return _response(error.status_code, code, error.detail)


def on_unexpected(request: Request, error: Exception) -> Response:
    log_unexpected(request, error)
    return _response(500, "INTERNAL_ERROR", "An unexpected error occurred")


EXCEPTION_HANDLERS = {
    RequestError: on_request_error,
    DomainError: on_domain_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
