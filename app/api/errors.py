"""Request-level failures, raised by the HTTP adapters before a command reaches the core."""

from __future__ import annotations

FieldError = tuple[str, str]  # (field path as the client spelled it, message)


class RequestError(Exception):
    code: str = "request_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthorized(RequestError):
    code = "not_authorized"


class Forbidden(RequestError):
    code = "forbidden"


class NotFound(RequestError):
    code = "not_found"


class InvalidJson(RequestError):
    code = "invalid_json"


class RequestInvalid(RequestError):
    """The request failed schema validation; `fields` names each offending input."""

    code = "validation_error"

    def __init__(self, message: str, fields: list[FieldError]) -> None:
        super().__init__(message)
        self.fields = fields
