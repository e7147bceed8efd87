"""Component groups of a status page, set through the v1 API: validated, kept, and shown."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import KeyMaker


async def _components(client: AsyncTestClient, headers: dict[str, str], *names: str) -> list[str]:
    ids = []
    for name in names:
        response = await client.post("/v1/components", json={"name": name}, headers=headers)
        ids.append(response.json()["data"]["id"])
    return ids


async def test_a_page_groups_its_components_and_an_edit_keeps_the_group_ids(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    headers = await make_key()
    rest, graphql, web = await _components(client, headers, "REST", "GraphQL", "Web")
    response = await client.post(
        "/v1/status-pages",
        json={
            "name": "Acme",
            "slug": "acme",
            "componentIds": [web, rest, graphql],
            "groups": [{"name": "API", "componentIds": [rest, graphql]}],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    page = response.json()["data"]
    [group] = page["groups"]
    assert group["name"] == "API" and group["componentIds"] == [rest, graphql]

    # Renaming the page leaves the groups as they are.
    response = await client.patch(
        f"/v1/status-pages/{page['id']}", json={"name": "Acme Inc."}, headers=headers
    )
    assert response.json()["data"]["groups"] == [group]

    # Replacing the groups keeps the id of the one whose name stays.
    response = await client.patch(
        f"/v1/status-pages/{page['id']}",
        json={
            "groups": [
                {"name": "api", "componentIds": [graphql]},
                {"name": "Front", "componentIds": [web, rest]},
            ]
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    api, front = response.json()["data"]["groups"]
    assert api == {"id": group["id"], "name": "api", "componentIds": [graphql]}
    assert front["id"] != group["id"] and front["componentIds"] == [web, rest]

    # A component the page stops showing leaves its group; a group left empty goes.
    response = await client.patch(
        f"/v1/status-pages/{page['id']}", json={"componentIds": [web, rest]}, headers=headers
    )
    assert response.json()["data"]["groups"] == [front]
    shown = await client.get(f"/v1/status-pages/{page['id']}", headers=headers)
    assert shown.json()["data"]["groups"] == [front]


async def test_bad_groups_are_refused_naming_the_field_and_change_nothing(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    headers = await make_key()
    rest, graphql, web = await _components(client, headers, "REST", "GraphQL", "Web")
    created = await client.post(
        "/v1/status-pages",
        json={"name": "Acme", "slug": "acme", "componentIds": [rest, graphql]},
        headers=headers,
    )
    page = created.json()["data"]
    cases = [
        # A member the page does not show.
        ([{"name": "API", "componentIds": [rest, web]}], "groups[0].componentIds[1]"),
        # A component in two groups, or twice in one.
        (
            [{"name": "A", "componentIds": [rest]}, {"name": "B", "componentIds": [rest]}],
            "groups[1].componentIds[0]",
        ),
        ([{"name": "A", "componentIds": [rest, rest]}], "groups[0].componentIds[1]"),
        # Two groups of one name, whatever the case.
        (
            [{"name": "API", "componentIds": [rest]}, {"name": "api", "componentIds": [graphql]}],
            "groups[1].name",
        ),
        # Empty, nameless, or not ids at all.
        ([{"name": "API", "componentIds": []}], "groups[0].componentIds"),
        ([{"name": "  ", "componentIds": [rest]}], "groups[0].name"),
        ([{"name": "API", "componentIds": ["x"]}], "groups[0].componentIds[0]"),
        ({"name": "API"}, "groups"),
    ]
    for groups, field in cases:
        response = await client.patch(
            f"/v1/status-pages/{page['id']}", json={"groups": groups}, headers=headers
        )
        assert response.status_code == 422, (groups, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert [f["field"] for f in error["fields"]] == [field], groups
    shown = await client.get(f"/v1/status-pages/{page['id']}", headers=headers)
    assert shown.json()["data"] == page

    refused = await client.post(
        "/v1/status-pages",
        json={
            "name": "Other",
            "slug": "other",
            "componentIds": [rest],
            "groups": [{"name": "API", "componentIds": [graphql]}],
        },
        headers=headers,
    )
    assert refused.status_code == 422
    listed = await client.get("/v1/status-pages", headers=headers)
    assert [p["slug"] for p in listed.json()["data"]] == ["acme"]


async def test_statuspage_documents_list_a_group_before_its_members_with_its_worst_status(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    headers = await make_key()
    web, rest, graphql = await _components(client, headers, "Web", "REST", "GraphQL")
    created = await client.post(
        "/v1/status-pages",
        json={
            "name": "Acme",
            "slug": "acme",
            "componentIds": [web, rest, graphql],
            "published": True,
        },
        headers=headers,
    )
    page_id = created.json()["data"]["id"]
    before = await client.get("/status/acme/api/v2/components.json")
    assert [c["group"] for c in before.json()["components"]] == [False] * 3

    response = await client.patch(
        f"/v1/status-pages/{page_id}",
        json={"groups": [{"name": "API", "componentIds": [graphql, rest]}]},
        headers=headers,
    )
    group_id = response.json()["data"]["groups"][0]["id"]
    incident = await client.post(
        "/v1/incidents",
        json={"title": "GraphQL down", "severity": "major", "componentIds": [graphql]},
        headers=headers,
    )
    await client.post(
        f"/v1/incidents/{incident.json()['data']['id']}/updates",
        json={
            "visibility": "public",
            "body": "Investigating.",
            "componentStatuses": [{"componentId": graphql, "status": "partial_outage"}],
        },
        headers=headers,
    )

    for path in ("components.json", "summary.json"):
        components = (await client.get(f"/status/acme/api/v2/{path}")).json()["components"]
        shown = [
            (c["name"], c["position"], c["group"], c["group_id"], c["status"], c.get("components"))
            for c in components
        ]
        assert shown == [
            ("Web", 1, False, None, "operational", None),
            ("API", 2, True, None, "partial_outage", [graphql, rest]),
            ("GraphQL", 3, False, group_id, "partial_outage", None),
            ("REST", 4, False, group_id, "operational", None),
        ], path
        assert components[1]["id"] == group_id
        assert components[1]["updated_at"] == components[2]["updated_at"]

    html = (await client.get("/status/acme")).text
    assert "2 components in API" in html
    assert html.index(">API<") < html.index(">GraphQL<") < html.index(">REST<")
