"""The v1 dialect's one map from failures to HTTP: {"error": {code, message, requestId}}."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException

from app.api.errors import FieldError, RequestError
from app.api.request_id import request_id_of
from app.domain.errors import DomainError, FieldPath

log = logging.getLogger("herald.api")

_REQUEST_STATUS = {
    "not_authorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "invalid_json": 400,
    "validation_error": 422,
}
# Rule codes not listed here are 400.
_DOMAIN_STATUS = {
    "not_found": 404,
    "slug_taken": 409,
    "unknown_component": 422,
    "component_not_affected": 422,
    "duplicate_component": 422,
}
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_name(path: FieldPath) -> str:
    """("component_statuses", 0, "component_id") -> "componentStatuses[0].componentId"."""
    text = ""
    for part in path:
        text += (
            f"[{part}]" if isinstance(part, int) else f".{_camel(part)}" if text else _camel(part)
        )
    return text


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
    status = _DOMAIN_STATUS.get(error.code, 400)
    if status == 422:
        field = field_name(error.field) if error.field else "body"
        return error_response(
            request, 422, "validation_error", error.message, [(field, error.message)]
        )
    return error_response(request, status, error.code, error.message)


def on_http_exception(request: Request, error: HTTPException) -> Response:
    code = _HTTP_CODES.get(error.status_code, "bad_request")
    return error_response(request, error.status_code, code, error.detail)


def on_unexpected(request: Request, error: Exception) -> Response:
    log.exception(
        "unexpected failure: %s %s request_id=%s",
        request.method,
        request.url.path,
        request_id_of(request.scope),
        exc_info=error,
    )
    return error_response(request, 500, "server_error", "An unexpected error occurred on our side.")


EXCEPTION_HANDLERS = {
    RequestError: on_request_error,
    DomainError: on_domain_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
