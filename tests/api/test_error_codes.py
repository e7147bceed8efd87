"""One registry of error codes, mapped explicitly by every dialect and by the API document."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from app.api.compat import incidentio_errors, uptimeio_errors
from app.api.v1 import errors as v1_errors
from app.domain.errors import CODES, RULES_OF, DomainError

STATUS_OF = {
    "v1": v1_errors.DOMAIN_STATUS,
    "incidentio": {code: answer[0] for code, answer in incidentio_errors.DOMAIN_ANSWERS.items()},
    "uptimeio": {code: answer[0] for code, answer in uptimeio_errors.DOMAIN_ANSWERS.items()},
}


@pytest.mark.parametrize("dialect", STATUS_OF)
def test_every_dialect_maps_every_code_and_no_other(dialect: str) -> None:
    assert set(STATUS_OF[dialect]) == set(CODES)


@pytest.mark.parametrize("dialect", STATUS_OF)
def test_a_conflict_is_409_in_every_dialect_and_a_missing_object_404(dialect: str) -> None:
    for code, kind in CODES.items():
        if kind == "conflict":
            assert STATUS_OF[dialect][code] == 409, code
        if kind == "not_found":
            assert STATUS_OF[dialect][code] == 404, code


def test_a_code_outside_the_registry_cannot_be_raised() -> None:
    with pytest.raises(ValueError, match="unregistered"):
        DomainError("no_such_code", "…")


def test_every_rule_belongs_to_a_command() -> None:
    rules = {code for code, kind in CODES.items() if kind == "rule"}
    assert {code for codes in RULES_OF.values() for code in codes} == rules


async def test_the_api_document_lists_what_each_dialect_answers_an_update(
    client: AsyncTestClient,
) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    def said(path: str, status: int) -> str:
        return paths[path]["post"]["responses"][str(status)]["description"]

    incidentio = "/v2/status_page_incident_updates"
    for code in RULES_OF["PostUpdate"]:
        status, shown, _ = incidentio_errors.DOMAIN_ANSWERS[code]
        assert f"`{shown}`" in said(incidentio, status), code
    assert "`update_limit_reached`" in said(incidentio, 422)
    assert "`write_conflict`" in said(incidentio, 409)

    v1 = "/v1/incidents/{incident_id}/updates"
    for code in set(RULES_OF["PostUpdate"]) - {"update_limit_reached"}:  # v1 caps nothing
        assert f"`{code}`" in said(v1, 400), code
    assert "`write_conflict`" in said(v1, 409) and "`idempotency_key_in_flight`" in said(v1, 409)
