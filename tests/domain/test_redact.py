"""Redacting an update: allowed once per update, even after the incident resolved."""

from app.domain.events import UpdateRedacted

from .examples import BOB, NEW_UPDATE, NOW, UPDATE_1, opened, posted, redact, resolved_history
from .spec import given


def test_redact_records_who_and_when():
    given(opened(), posted(UPDATE_1, 5)).when(redact(UPDATE_1)).then(
        UpdateRedacted(update_id=UPDATE_1, redacted_by=BOB, at=NOW)
    )


def test_redact_on_an_unknown_incident_is_not_found():
    given().when(redact(UPDATE_1)).then_error("not_found")


def test_redact_an_unknown_update_is_not_found():
    given(opened(), posted(UPDATE_1, 5)).when(redact(NEW_UPDATE)).then_error("not_found")


def test_redact_twice_is_already_redacted():
    first_redaction = UpdateRedacted(update_id=UPDATE_1, redacted_by=BOB, at=NOW)
    given(opened(), posted(UPDATE_1, 5), first_redaction).when(redact(UPDATE_1)).then_error(
        "already_redacted"
    )


def test_redact_is_allowed_on_a_resolved_incident():
    given(*resolved_history()).when(redact(UPDATE_1)).then(
        UpdateRedacted(update_id=UPDATE_1, redacted_by=BOB, at=NOW)
    )
