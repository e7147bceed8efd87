"""Given events, when a command, then events or an error: a tiny DeciderSpecification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from app.domain import decide as incident_decider
from app.domain import incident, maintenance, maintenance_decide
from app.domain.commands import RedactUpdate
from app.domain.errors import DomainError, FieldPath
from app.domain.incident import update_standing

_ANY_FIELD = object()


@dataclass(frozen=True)
class Decider:
    decide: Callable[[Any, Any], list[Any]]
    fold: Callable[[Any], Any]


INCIDENT = Decider(incident_decider.decide, incident.fold)
MAINTENANCE = Decider(maintenance_decide.decide, maintenance.fold)


def given(*events: Any) -> Given:
    """An incident's stream."""
    return Given(events, INCIDENT)


def given_maintenance(*events: Any) -> Given:
    return Given(events, MAINTENANCE)


@dataclass(frozen=True)
class Given:
    events: tuple[Any, ...]
    decider: Decider

    def when(self, command: Any) -> When:
        if isinstance(command, RedactUpdate):
            # The fact the shell looks up beside the state, taken from the given events.
            standing = update_standing(self.events, command.update_id)
            command = msgspec.structs.replace(command, standing=standing)
        return When(self.decider.fold(self.events), command, self.decider)


@dataclass(frozen=True)
class When:
    state: Any
    command: Any
    decider: Decider

    def decided(self) -> list[Any]:
        return self.decider.decide(self.command, self.state)

    def then(self, *expected: Any) -> list[Any]:
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
