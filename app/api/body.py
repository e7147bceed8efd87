"""Decode a request body with msgspec, turning its errors into the API's own."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request

from app.api.errors import FieldError, InvalidJson, RequestInvalid, UnsupportedMediaType

T = TypeVar("T")

# msgspec ends a validation message with " - at `$.path[0].field`".
_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")
# The field named when the document as a whole is wrong, e.g. an array where an object belongs.
DOCUMENT = "body"


def _field_error(error: msgspec.ValidationError, prefix: str) -> FieldError:
    match = _AT_PATH.match(str(error))
    assert match is not None
    message, path = match["message"], prefix + (match["path"] or "")
    missing = _MISSING.match(message)
    if missing:
        path = f"{path}.{missing['name']}" if path else missing["name"]
        message = f"{missing['name']} is required"
    return path or DOCUMENT, message


def _every_field_error(document: dict[str, Any], into: type) -> list[FieldError]:
    """msgspec stops at the first error; check field by field so the reply names them all."""
    errors: list[FieldError] = []
    for field in msgspec.structs.fields(into):
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


def is_missing(error: FieldError) -> bool:
    """Whether decode_body reported this field as absent, a case some dialects word apart."""
    field, message = error
    return message == f"{field.rpartition('.')[2]} is required"


# PostgreSQL text cannot hold NUL, so a "\u0000" escape (not itself escaped) is refused up front.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


# No document of this API nests more than a few levels. msgspec's own limit is the interpreter's
# recursion limit, less however deep the stack already is: no fixed depth, so this one is ours.
MAX_DEPTH = 32
_TOO_DEEP = f"The request body is not valid JSON: it is nested deeper than {MAX_DEPTH} levels"
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
# Keeps brackets only, both kinds as square ones: nesting depth is all that is measured.
_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))


def _refuse_too_deep(raw: bytes) -> None:
    """Refuse valid JSON nested deeper than MAX_DEPTH (valid, so that strings end where the
    pattern thinks they do, and brackets pair up)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    brackets = _STRING.sub(b"", raw).translate(_SQUARE, _NOT_BRACKET)
    # Each pass removes the innermost pairs, one level of nesting, at C speed.
    for _ in range(MAX_DEPTH):
        brackets = brackets.replace(b"[]", b"")
        if not brackets:
            return
    raise InvalidJson(_TOO_DEEP)


def decode_body(raw: bytes, into: type[T]) -> T:
    if _NUL_ESCAPE.search(raw):
        raise RequestInvalid(
            "The request body failed validation.",
            [(DOCUMENT, "text must not contain the NUL character (\\u0000)")],
        )
    try:
        return _decode(raw, into)
    except RecursionError as error:
        raise InvalidJson(_TOO_DEEP) from error


def _decode(raw: bytes, into: type[T]) -> T:
    try:
        value = msgspec.json.decode(raw, type=into)
    except msgspec.ValidationError as error:
        try:
            document = msgspec.json.decode(raw)
        except msgspec.DecodeError as malformed:
            # A valid value followed by junk fails typing first; it is still malformed JSON.
            raise InvalidJson(f"The request body is not valid JSON: {malformed}") from malformed
        _refuse_too_deep(raw)
        fields = (
            _every_field_error(document, into)
            if isinstance(document, dict)
            else [_field_error(error, "")]
        )
        raise RequestInvalid("The request body failed validation.", fields) from error
    except msgspec.DecodeError as error:
        raise InvalidJson(f"The request body is not valid JSON: {error}") from error
    _refuse_too_deep(raw)
    return value


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def decode_json(request: Request, into: type[T]) -> T:
    """The request's JSON body as `into`; a body sent as anything but JSON is refused (415)."""
    raw = await request.body()
    if raw and not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("Send the request body as application/json.")
    return decode_body(raw, into)
