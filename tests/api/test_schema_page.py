"""The API reference at /schema: everything it loads is served here, and the OpenAPI document
says how to authenticate and what each operation does."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from litestar.testing import AsyncTestClient

from app.api.openapi_guide import SUMMARIES
from app.store.api_keys import SCOPES
from tests.conftest import KeyMaker

PATH_PARAMETER = re.compile(r"\{\w+\}")
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}
SCHEMES = {
    "BearerAuth": {"type": "http", "scheme": "bearer"},
    "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


class Resources(HTMLParser):
    """Every address a page makes the browser load: scripts, stylesheets, icons, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("script", "img", "iframe") and attributes.get("src"):
            self.urls.append(attributes["src"] or "")
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"] or "")


def operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


async def test_the_reference_page_loads_only_assets_served_here(client: AsyncTestClient) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parser = Resources()
    parser.feed(page.text)
    assert len(parser.urls) >= 3, parser.urls  # the UI's script, its preset, its stylesheet
    here = urlsplit(str(client.base_url)).netloc
    for url in parser.urls:
        parts = urlsplit(url)
        # Relative, or on this host; no other host, not even protocol-relative (//host/...).
        assert parts.netloc in ("", here), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        suffix = parts.path[parts.path.rindex(".") :]
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
        assert len(asset.content) > 100, url
    scripts = [url for url in parser.urls if url.split("?")[0].endswith(".js")]
    assert scripts, parser.urls
    assert b"SwaggerUIBundle" in (await client.get(scripts[0])).content


async def test_the_document_declares_both_ways_to_send_a_key(client: AsyncTestClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    for name, expected in SCHEMES.items():
        assert schemes[name].items() >= expected.items(), (name, schemes[name])
        assert schemes[name]["description"], name


async def test_exactly_the_operations_that_refuse_an_anonymous_call_require_a_key(
    client: AsyncTestClient,
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    public = authenticated = 0
    for path, method, operation in operations(document):
        url = PATH_PARAMETER.sub("00000000-0000-0000-0000-000000000000", path)
        answer = await client.request(method, url)
        if answer.status_code == 401:
            authenticated += 1
            security = operation.get("security")
            assert security, (path, method)
            # Either scheme, each naming the scope the key needs.
            assert {name for requirement in security for name in requirement} == set(SCHEMES)
            [scopes] = {
                tuple(scopes) for requirement in security for scopes in requirement.values()
            }
            assert scopes in (("read",), ("incidents:write",), ("subscribers:write",)), path
            assert f"`{scopes[0]}` scope" in operation["description"], (path, method)
        else:
            public += 1
            assert not operation.get("security"), (path, method, answer.status_code)
    assert public >= 10 and authenticated >= 20, (public, authenticated)


async def test_the_scope_the_document_names_is_the_one_each_operation_needs(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    keys = {scope: await make_key(name=scope, scopes=(scope,)) for scope in SCOPES}
    checked = 0
    for path, method, operation in operations(document):
        if not operation.get("security"):
            continue
        [needed] = operation["security"][0].values()
        url = PATH_PARAMETER.sub("00000000-0000-0000-0000-000000000000", path)
        for scope, headers in keys.items():
            answer = await client.request(method, url, headers=headers)
            # 404 or 422 for the made-up ids and the missing body: past the guard either way.
            refused = answer.status_code in (401, 403)
            assert refused == (scope not in needed), (path, method, scope, answer.status_code)
        checked += 1
    assert checked >= 20


async def test_every_operation_has_a_summary_in_words(client: AsyncTestClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    found = operations(document)
    assert len(found) >= 30
    for path, method, operation in found:
        summary = operation.get("summary", "")
        # Not a handler's or class's name such as "List", "PostUpdate" or "post_update".
        assert " " in summary and not summary.isidentifier(), (path, method, summary)
        assert summary[0].isupper(), (path, method, summary)
        assert operation.get("tags"), (path, method)
        assert set(operation["tags"]) <= {tag["name"] for tag in document["tags"]}
    # No summary names an operation that no longer exists.
    assert set(SUMMARIES) <= {(path, method) for path, method, _ in found}
