"""Authentication and scopes over HTTP: 401, then 403, then 404, never another tenant's data."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import KeyMaker


async def test_no_key_is_401_not_authorized(client: AsyncTestClient) -> None:
    response = await client.get("/v1/components")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "not_authorized"
    assert error["requestId"] == response.headers["x-request-id"]


async def test_unknown_key_is_401(client: AsyncTestClient, make_key: KeyMaker) -> None:
    await make_key()
    response = await client.get(
        "/v1/components", headers={"Authorization": "Bearer hrld_not-a-real-key"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authorized"


async def test_bearer_and_x_api_key_both_authenticate(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    headers = await make_key()
    key = headers["Authorization"].removeprefix("Bearer ")
    assert (await client.get("/v1/components", headers=headers)).status_code == 200
    assert (await client.get("/v1/components", headers={"X-API-Key": key})).status_code == 200


async def test_missing_scope_is_403_forbidden_and_writes_nothing(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    reader = await make_key(name="Reader", scopes=("read",))
    response = await client.post("/v1/components", json={"name": "API"}, headers=reader)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert (await client.get("/v1/components", headers=reader)).json()["data"] == []


async def test_auth_is_checked_before_the_body(client: AsyncTestClient, make_key: KeyMaker) -> None:
    reader = await make_key(scopes=("read",))
    for headers, status in (({}, 401), (reader, 403)):
        response = await client.post("/v1/components", content=b"{not json", headers=headers)
        assert response.status_code == status


async def test_another_organizations_objects_are_404(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    acme = await make_key(org="acme")
    globex = await make_key(org="globex", name="Hank Scorpio")
    component = (
        await client.post("/v1/components", json={"name": "Payments API"}, headers=acme)
    ).json()["data"]
    page = (
        await client.post(
            "/v1/status-pages",
            json={"name": "Acme", "slug": "acme", "componentIds": [component["id"]]},
            headers=acme,
        )
    ).json()["data"]

    for path in (f"/v1/components/{component['id']}", f"/v1/status-pages/{page['id']}"):
        response = await client.get(path, headers=globex)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert "Payments" not in response.text
    response = await client.patch(
        f"/v1/status-pages/{page['id']}", json={"published": True}, headers=globex
    )
    assert response.status_code == 404
    assert (await client.get("/v1/components", headers=globex)).json()["data"] == []
    assert (await client.get("/v1/status-pages", headers=globex)).json()["data"] == []
    # Globex cannot put Acme's component on a page of its own either.
    response = await client.post(
        "/v1/status-pages",
        json={"name": "G", "slug": "globex", "componentIds": [component["id"]]},
        headers=globex,
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "componentIds[0]"
