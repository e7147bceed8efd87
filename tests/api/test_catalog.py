"""Components and status pages over HTTP against real PostgreSQL."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import KeyMaker


async def test_create_and_read_a_component(client: AsyncTestClient, make_key: KeyMaker) -> None:
    headers = await make_key()
    response = await client.post(
        "/v1/components",
        json={"name": "Payments API", "description": "Card and wallet payments"},
        headers=headers,
    )
    assert response.status_code == 201
    created = response.json()["data"]
    assert created["name"] == "Payments API"
    assert created["description"] == "Card and wallet payments"
    assert created["organizationId"]
    assert created["createdAt"].endswith("Z") and len(created["createdAt"]) == 24
    shown = await client.get(f"/v1/components/{created['id']}", headers=headers)
    assert shown.json()["data"] == created


async def test_component_validation_names_every_field(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    headers = await make_key()
    response = await client.post(
        "/v1/components", json={"name": "   ", "description": 5, "colour": "red"}, headers=headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {f["field"] for f in error["fields"]} == {
        "name",
        "description",
    }  # unknown fields are ignored
    assert (await client.get("/v1/components", headers=headers)).json()["data"] == []


async def test_malformed_json_is_400_invalid_json(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    headers = await make_key()
    response = await client.post(
        "/v1/components",
        content=b'{"name": ',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


async def test_lists_are_cursor_paginated_in_a_stable_order(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    headers = await make_key()
    names = [f"Component {n}" for n in range(7)]
    for name in names:
        await client.post("/v1/components", json={"name": name}, headers=headers)

    seen, cursor = [], None
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/v1/components", params=params, headers=headers)).json()
        seen += [c["name"] for c in body["data"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == names

    for params in ({"limit": "0"}, {"limit": "101"}, {"cursor": "%%%"}):
        response = await client.get("/v1/components", params=params, headers=headers)
        assert response.status_code == 422, params


async def test_status_page_lifecycle(client: AsyncTestClient, make_key: KeyMaker) -> None:
    headers = await make_key()
    api = (await client.post("/v1/components", json={"name": "API"}, headers=headers)).json()
    web = (await client.post("/v1/components", json={"name": "Web"}, headers=headers)).json()
    response = await client.post(
        "/v1/status-pages",
        json={"name": "Acme Status", "slug": "acme-status", "componentIds": [api["data"]["id"]]},
        headers=headers,
    )
    assert response.status_code == 201
    page = response.json()["data"]
    assert page["published"] is False
    assert page["componentIds"] == [api["data"]["id"]]

    response = await client.patch(
        f"/v1/status-pages/{page['id']}",
        json={"published": True, "componentIds": [api["data"]["id"], web["data"]["id"]]},
        headers=headers,
    )
    assert response.status_code == 200
    edited = response.json()["data"]
    assert edited["published"] is True
    assert edited["componentIds"] == [api["data"]["id"], web["data"]["id"]]
    assert edited["name"] == "Acme Status"
    listed = (await client.get("/v1/status-pages", headers=headers)).json()["data"]
    assert listed == [edited]


async def test_slugs_are_url_safe_and_unique_across_organizations(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    acme = await make_key(org="acme")
    globex = await make_key(org="globex", name="Hank Scorpio")
    first = await client.post(
        "/v1/status-pages", json={"name": "A", "slug": "status"}, headers=acme
    )
    assert first.status_code == 201

    taken = await client.post(
        "/v1/status-pages", json={"name": "G", "slug": "status"}, headers=globex
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "slug_taken"

    for slug in ("Status", "has space", "trailing-", "a/b", "x" * 64, ""):
        response = await client.post(
            "/v1/status-pages", json={"name": "G", "slug": slug}, headers=globex
        )
        assert response.status_code == 422, slug
        assert response.json()["error"]["fields"][0]["field"] == "slug"
    assert (await client.get("/v1/status-pages", headers=globex)).json()["data"] == []


async def test_ids_that_are_not_uuids_are_404(client: AsyncTestClient, make_key: KeyMaker) -> None:
    headers = await make_key()
    for path in ("/v1/components/not-a-uuid", "/v1/status-pages/42"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
