"""Fuzz every operation of the app's own OpenAPI document with schemathesis.

A real uvicorn server on 127.0.0.1 serves a database of this test's own; schemathesis reads
/schema/openapi.json from it and sends valid and invalid requests to every operation, many of
them aimed at objects that exist so that they get past the 404s. No answer may be a 5xx, and
every answer whose status the document describes must match the schema given for it.
Besides what the document's schemas generate, every operation gets hostile values in its path,
query, form and body: control characters, digits of other scripts, cursors far out of range,
JSON nested a thousand deep and webhook URLs that do not parse. Generation is derandomized so
that CI is repeatable; HERALD_FUZZ_EXAMPLES raises the count for a deeper run by hand.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.api.app import create_app
from app.config import Settings
from tests.api.conftest import Org, open_incident

SECRET_KEY = "fuzz-test-secret-key-0123456789abcdefghij"
PATH_PARAMETER = re.compile(r"\{(\w+)\}")


CHECKS = [not_a_server_error, response_schema_conformance]

# Hostile values, each of a kind that once reached PostgreSQL, int() or urlsplit unchecked.
CONTROL = st.characters(codec=None, categories=["Cc"])
# The values known to have hurt come first: derandomized generation draws early branches most.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["acme\x00", "\x00", "\u00b2", "9" * 5000, "\u0661\u0662", "\uff15", "-1"]),
    st.text(CONTROL | st.sampled_from("acme-1"), min_size=1, max_size=8),
)
NESTED = b"[" * 1000 + b"]" * 1000


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HOSTILE_QUERY = {
    "cursor": st.one_of(
        st.integers().filter(lambda n: not 0 < n < 2**31).map(lambda n: _cursor(str(n).encode())),
        st.binary(min_size=1, max_size=16).map(_cursor),
        st.just(_cursor(NESTED)),
        HOSTILE_TEXT,
    ),
    "limit": HOSTILE_TEXT,
}
HOSTILE_URL = st.sampled_from(
    [
        "http://[::1",
        "http://example.com]/",
        "http://[example.com]/hook",
        "https://[/",
        "http://exa mple.com/",
        "ht\ttp://example.com/",
        "http://example.com\n/hook",
        " http://10.0.0.1/",
        "http://example.com/\x7f",
    ]
)


def body_fields(document: dict, path: str, method: str) -> list[str]:
    """The fields of an operation's JSON body, as the document names them."""
    body = document["paths"][path][method].get("requestBody", {})
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return sorted(schema.get("properties", {}))


def with_raw_field(document: Any, field: str, raw: bytes) -> bytes:
    """The JSON document with `field` set to `raw`, which json.dumps could not nest so deep."""
    fields = document if isinstance(document, dict) else {}
    marker = "hostile-value-marker"
    return json.dumps({**fields, field: marker}).encode().replace(f'"{marker}"'.encode(), raw)


@st.composite
def hostile_cases(
    draw: st.DrawFn, operation: Any, aimed: dict[str, str], fields: list[str]
) -> schemathesis.Case:
    """A valid case aimed at real objects, with one part of it made hostile."""
    case = draw(operation.as_strategy(path_parameters=aimed))
    parts = [
        part
        for part, present in (
            ("path", case.path_parameters),
            ("query", [p.name for p in operation.query]),
            ("body", fields),
            ("form", operation.path.endswith("/subscribe")),
        )
        if present
    ]
    match draw(st.sampled_from(parts)) if parts else None:
        case "path":
            name = draw(st.sampled_from(sorted(case.path_parameters)))
            case.path_parameters[name] = quote(draw(HOSTILE_TEXT), safe="")
        case "query":
            name = draw(st.sampled_from([p.name for p in operation.query]))
            case.query = {**(case.query or {}), name: draw(HOSTILE_QUERY.get(name, HOSTILE_TEXT))}
        case "body":
            field = draw(st.sampled_from(fields))
            value = draw(st.sampled_from(["nested", "text", "url"]))
            if value == "nested":
                case.body = draw(
                    st.sampled_from([NESTED, with_raw_field(case.body, field, NESTED)])
                )
            else:
                hostile = draw(HOSTILE_TEXT if value == "text" else HOSTILE_URL)
                fields_now = case.body if isinstance(case.body, dict) else {}
                case.body = json.dumps({**fields_now, field: hostile}).encode()
        case "form":
            case.media_type = "application/x-www-form-urlencoded"
            case.body = {"email": draw(HOSTILE_TEXT), "componentIds": draw(HOSTILE_TEXT)}
    return case


@pytest.fixture
def server(database: str, redis_url: str) -> Iterator[str]:
    """A uvicorn server in a thread with an event loop of its own; yields its base URL."""
    settings = Settings(
        database_url=database,
        redis_url=redis_url,
        secret_key=SECRET_KEY,  # without it the subscriber endpoints answer 503 by design
        rate_limit_per_minute=1_000_000,  # one key sends every request of the run
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    # loop="asyncio": uvloop would be installed process-wide, under pytest-asyncio's loops too.
    config = uvicorn.Config(create_app(settings), loop="asyncio", log_config=None)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def client(server: str) -> AsyncIterator[httpx.AsyncClient]:
    """The `org` fixture's client, pointed at the live server rather than in-process."""
    async with httpx.AsyncClient(base_url=server) as client:
        yield client


async def existing_objects(client: httpx.AsyncClient, org: Org) -> dict[str, str]:
    """Path parameter values naming real objects: an incident with an update, a subscriber."""
    page = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"][0]
    incident = await open_incident(client, org)
    update = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "public", "body": "We are investigating."},
        headers=org.headers,
    )
    subscriber = await client.post(
        f"/v1/status-pages/{page['id']}/subscribers",
        json={"channel": "email", "address": "alice@example.com"},
        headers=org.headers,
    )
    assert update.status_code == subscriber.status_code == 201
    return {
        "component_id": org.payments,
        "page_id": page["id"],
        "status_page_id": page["id"],
        "project_id": page["organizationId"],
        "slug": page["slug"],
        "incident_id": incident["id"],
        "update_id": update.json()["data"]["id"],
        "subscriber_id": subscriber.json()["data"]["id"],
    }


def fuzz(
    schema: schemathesis.BaseSchema,
    document: dict,
    base_url: str,
    headers: dict,
    known: dict,
    examples: int,
) -> list[str]:
    """Run every operation; returns each failing operation's report (with a curl to replay)."""
    session = requests.Session()
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        aimed = {
            name: known[name] for name in PATH_PARAMETER.findall(operation.path) if name in known
        }
        fields = body_fields(document, operation.path, operation.method.lower())
        cases = st.one_of(
            operation.as_strategy(),
            operation.as_strategy(path_parameters=aimed),
            operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
            operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=aimed),
            hostile_cases(operation, aimed, fields),
            hostile_cases(operation, aimed, fields),
        )

        @given(case=cases)
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url, session=session, headers=headers, checks=CHECKS)

        try:
            run()
        except (AssertionError, FailureGroup) as error:
            failures.append(f"{operation.label}: {error}")
    return failures


async def test_every_operation_answers_without_5xx_and_as_documented(
    server: str, client: httpx.AsyncClient, org: Org
) -> None:
    known = await existing_objects(client, org)
    schema = schemathesis.openapi.from_url(f"{server}/schema/openapi.json")
    document = (await client.get("/schema/openapi.json")).json()
    examples = int(os.environ.get("HERALD_FUZZ_EXAMPLES", "12"))
    # In a thread: the requests are blocking, and the server's loop is not this one anyway.
    failures = await asyncio.to_thread(fuzz, schema, document, server, org.headers, known, examples)
    assert not failures, "\n\n".join(failures)


async def test_every_path_answers_options_without_5xx(
    server: str, client: httpx.AsyncClient, org: Org
) -> None:
    # litestar answers OPTIONS on every route itself; browsers send it as a CORS preflight,
    # without credentials, and clients with them.
    known = await existing_objects(client, org)
    document = (await client.get("/schema/openapi.json")).json()
    for path in document["paths"]:
        url = PATH_PARAMETER.sub(lambda m: known.get(m[1], "0"), path)
        for headers in ({}, org.headers):
            response = await client.options(url, headers=headers)
            assert response.status_code < 500, (path, headers, response.text)
