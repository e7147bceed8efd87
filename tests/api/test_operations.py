"""What operators rely on: probes, logs with request ids, the API document, compose."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from litestar.testing import AsyncTestClient

from app.logs import JsonFormatter, configure_logging
from tests.api.conftest import Org
from tests.conftest import Services

ROOT = Path(__file__).resolve().parents[2]


async def test_probes(client: AsyncTestClient, database: str, services: Services) -> None:
    assert (await client.get("/healthz")).json() == {"status": "alive"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}

    name = urlsplit(database).path.lstrip("/")  # an embedded server's URL ends in ?host=
    admin = await asyncpg.connect(services.admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert (await client.get("/healthz")).status_code == 200  # alive, just not ready
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_log_lines_carry_the_request_id(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    configure_logging("json")  # installs the request id filter on the root handler
    root_handler = logging.getLogger().handlers[0]
    handler.filters = root_handler.filters
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("herald.api")
    logger.addHandler(handler)
    try:
        await pool.execute("ALTER TABLE incidents RENAME TO incidents_gone")  # a 500 to log
        response = await client.get("/v1/incidents", headers=org.headers)
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["level"] == "error" and "exception" in line


async def test_unrouted_paths_answer_with_a_request_id(client: AsyncTestClient) -> None:
    response = await client.get("/no/such/path")
    assert response.status_code == 404
    assert response.json()["error"]["requestId"] == response.headers["x-request-id"]
    assert response.headers["x-request-id"].startswith("req_")


async def test_the_api_document_describes_every_write(client: AsyncTestClient) -> None:
    assert (await client.get("/schema")).status_code == 200
    document = (await client.get("/schema/openapi.json")).json()
    writes = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("post", "patch") and not path.startswith("/status/")
    ]
    assert writes
    for path, method, operation in writes:
        for status in ("401", "403", "409", "422", "429"):
            assert status in operation["responses"], (path, method, status)
        if not path.endswith(("/redact", "/retry", "/start", "/complete", "/cancel")):
            assert "requestBody" in operation, (path, method)
    update = document["paths"]["/v1/incidents/{incident_id}/updates"]["post"]
    assert update["requestBody"]["content"]["application/json"]["example"]["visibility"]
    assert "no_public_surface" in update["responses"]["400"]["description"]
    assert "PostUpdateIn" in document["components"]["schemas"]


async def test_the_api_document_gives_every_error_its_dialects_shape(
    client: AsyncTestClient,
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    shapes = {"/v2/": "IncidentioError", "/api/": "UptimeioError"}
    for path, item in document["paths"].items():
        shape = next((v for prefix, v in shapes.items() if path.startswith(prefix)), "V1Error")
        for method, operation in item.items():
            errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
            assert "500" in errors, (path, method)
            if path.startswith("/v1/") and "{" in path:
                assert "404" in errors and "401" in errors, (path, method)
            for status, response in errors.items():
                assert response["content"], (path, method, status)
                if json := response["content"].get("application/json"):
                    assert json["schema"] == {"$ref": f"#/components/schemas/{shape}"}, (
                        path,
                        status,
                    )
    feed = document["paths"]["/status/{slug}/history.atom"]["get"]["responses"]["200"]
    assert list(feed["content"]) == ["application/atom+xml"]


async def test_the_api_document_says_which_public_answers_are_pages(
    client: AsyncTestClient,
) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    subscribe = paths["/status/{slug}/subscribe"]["post"]["responses"]
    assert set(subscribe["422"]["content"]) == {"application/json", "text/html"}
    assert set(subscribe["429"]["content"]) == {"application/json", "text/html"}
    assert "401" not in subscribe and "409" not in subscribe
    for path in ("/status/{slug}/subscriptions/confirm", "/status/{slug}/unsubscribe"):
        for method in ("get", "post"):
            responses = paths[path][method]["responses"]
            assert list(responses["400"]["content"]) == ["text/html"], (path, method)
            assert "503" in responses and "404" not in responses, (path, method)
    summary = paths["/status/{slug}/api/v2/summary.json"]["get"]["responses"]
    assert {s for s in summary if int(s) >= 400} == {"404", "500"}


def test_compose_file_is_valid() -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "check_jsonschema",
            "--builtin-schema", "vendor.compose-spec", str(ROOT / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
