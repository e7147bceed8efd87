"""Domain errors: a stable code and a message, never an HTTP status."""

from __future__ import annotations

FieldPath = tuple[str | int, ...]


class DomainError(Exception):
    """A command broke a rule; `code` is stable and each API dialect maps it to its own reply.

    `field` names the offending input in domain terms (snake_case parts and list indexes) when
    the rule is about one input, so every dialect can point at it in its own spelling.
    """

    def __init__(self, code: str, message: str, field: FieldPath | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r}, field={self.field!r})"
