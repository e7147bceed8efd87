"""Request-level failures, raised by the HTTP adapters before a command reaches the core."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from app.domain.errors import FieldPath

FieldError = tuple[str, str]  # (field path as the client spelled it, message)

# Statuses litestar itself raises around a handler, named for dialects that answer with a code.
HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def field_path(path: FieldPath, spell: Callable[[str], str] = str) -> str:
    """A domain field path as text, each name shown through `spell` in the dialect's own case.

    ("component_statuses", 0, "component_id") -> "component_statuses[0].component_id".
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{spell(part)}" if text else spell(part)
    return text


class RequestError(Exception):
    code: str = "request_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthorized(RequestError):
    code = "not_authorized"


class NoCredentials(NotAuthorized):
    """No key was presented at all; some dialects word this apart from a wrong key."""


class Forbidden(RequestError):
    code = "forbidden"


class NotFound(RequestError):
    code = "not_found"


class InvalidJson(RequestError):
    code = "invalid_json"


class UnsupportedMediaType(RequestError):
    code = "unsupported_media_type"


class RequestInvalid(RequestError):
    """The request failed schema validation; `fields` names each offending input."""

    code = "validation_error"

    def __init__(self, message: str, fields: list[FieldError]) -> None:
        super().__init__(message)
        self.fields = fields


class IdempotencyKeyInvalid(RequestError):
    code = "idempotency_key_invalid"


class IdempotencyKeyReused(RequestError):
    code = "idempotency_key_reused"


class IdempotencyKeyInFlight(RequestError):
    code = "idempotency_key_in_flight"


class NotConfigured(RequestError):
    """The server lacks a setting this request needs (SECRET_KEY)."""

    code = "not_configured"


class RateLimited(RequestError):
    """The API key (named after its member) spent its budget of `limit` requests a minute."""

    code = "rate_limited"

    def __init__(self, message: str, key_name: str, limit: int, retry_after: int) -> None:
        super().__init__(message)
        self.key_name = key_name
        self.limit = limit
        self.retry_after = retry_after


def parse_id(raw: str, what: str) -> UUID:
    """Path ids that are not UUIDs name nothing that exists: 404, like an unknown one."""
    try:
        return UUID(raw)
    except ValueError as error:
        raise NotFound(f"No {what} with the given ID exists in your organization.") from error


def check_choice(raw: str | None, name: str, choices: tuple[str, ...]) -> None:
    """A query filter that must name one of `choices`, or be absent."""
    if raw is not None and raw not in choices:
        raise RequestInvalid(
            "The query failed validation.", [(name, f"{name} must be one of {', '.join(choices)}")]
        )
