"""Time arrives on the command: every event carries `command.at`, never a clock's reading."""

from datetime import UTC, datetime

import pytest

from .examples import UPDATE_1, edit, open_incident, opened, post, posted, redact
from .spec import given

WHEN = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    "history, command",
    [
        ([], open_incident(at=WHEN)),
        ([opened()], edit(title="Renamed", at=WHEN)),
        ([opened()], post(status_change="resolved", at=WHEN)),
        ([opened(), posted(UPDATE_1, 5)], redact(UPDATE_1, at=WHEN)),
    ],
    ids=["open", "edit", "post-and-resolve", "redact"],
)
def test_events_carry_the_commands_time(history, command):
    events = given(*history).when(command).decided()
    assert events
    assert {event.at for event in events} == {WHEN}
