"""Decode a request body with msgspec, turning its errors into the API's own."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from app.api.errors import FieldError, InvalidJson, RequestInvalid

T = TypeVar("T")

# msgspec ends a validation message with " - at `$.path[0].field`".
_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`$")


def _field_error(error: msgspec.ValidationError, prefix: str) -> FieldError:
    match = _AT_PATH.match(str(error))
    assert match is not None
    message, path = match["message"], prefix + (match["path"] or "")
    for pattern, says in ((_MISSING, "is required"), (_UNKNOWN, "is not a known field")):
        named = pattern.match(message)
        if named:
            path = f"{path}.{named['name']}" if path else named["name"]
            message = f"{named['name']} {says}"
    return path or "body", message


def _every_field_error(document: dict[str, Any], into: type) -> list[FieldError]:
    """msgspec stops at the first error; check field by field so the reply names them all."""
    fields = msgspec.structs.fields(into)
    known = {field.encode_name for field in fields}
    errors = [
        (name, f"{name} is not a known field")
        for name in document
        if name not in known and into.__struct_config__.forbid_unknown_fields
    ]
    for field in fields:
        name = field.encode_name
        if name not in document:
            if field.required:
                errors.append((name, f"{name} is required"))
            continue
        try:
            msgspec.convert(document[name], type=field.type)
        except msgspec.ValidationError as error:
            errors.append(_field_error(error, name))
    return errors


def decode_body(raw: bytes, into: type[T]) -> T:
    try:
        return msgspec.json.decode(raw, type=into)
    except msgspec.ValidationError as error:
        document = msgspec.json.decode(raw)
        fields = (
            _every_field_error(document, into)
            if isinstance(document, dict)
            else [_field_error(error, "")]
        )
        raise RequestInvalid("The request body failed validation.", fields) from error
    except msgspec.DecodeError as error:
        raise InvalidJson(f"The request body is not valid JSON: {error}") from error
