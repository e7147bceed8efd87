"""Given events, when a command, then events or an error: a tiny DeciderSpecification."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import pytest

from app.domain.commands import Command, RedactUpdate
from app.domain.decide import decide
from app.domain.errors import DomainError, FieldPath
from app.domain.events import Event
from app.domain.incident import State, fold, update_standing

_ANY_FIELD = object()


def given(*events: Event) -> Given:
    return Given(events)


@dataclass(frozen=True)
class Given:
    events: tuple[Event, ...]

    def when(self, command: Command) -> When:
        if isinstance(command, RedactUpdate):
            # The fact the shell looks up beside the state, taken from the given events.
            standing = update_standing(self.events, command.update_id)
            command = msgspec.structs.replace(command, standing=standing)
        return When(fold(self.events), command)


@dataclass(frozen=True)
class When:
    state: State
    command: Command

    def decided(self) -> list[Event]:
        return decide(self.command, self.state)

    def then(self, *expected: Event) -> list[Event]:
        actual = self.decided()
        # Helper modules are not assert-rewritten by pytest, so spell the difference out.
        assert actual == list(expected), f"\ndecided:  {actual!r}\nexpected: {list(expected)!r}"
        return actual

    def then_error(self, code: str, *, field: FieldPath | object | None = _ANY_FIELD) -> None:
        with pytest.raises(DomainError) as caught:
            decided = self.decided()
            pytest.fail(f"expected DomainError {code!r}, decided {decided!r}")
        error = caught.value
        assert error.code == code, f"expected code {code!r}, got {error!r}"
        if field is not _ANY_FIELD:
            assert error.field == field, f"expected field {field!r}, got {error!r}"
