"""Steps the notification tests share, all through the HTTP API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from arq.constants import in_progress_key_prefix
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from app.queues import QUEUE
from tests.api.conftest import Org
from tests.workers.services import Receiver


async def add_webhook(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    path: str,
    components: list[str] | None = None,
    page_id: str | None = None,
    **preferences: bool,
) -> dict:
    """`preferences`: incidents, maintenances, componentChanges, as the API takes them."""
    page_id = page_id or await page_of(client, org)
    body: dict = {"channel": "webhook", "url": receiver.url(path), **preferences}
    if components is not None:
        body["componentIds"] = components
    response = await client.post(
        f"/v1/status-pages/{page_id}/subscribers", json=body, headers=org.headers
    )
    assert response.status_code == 201, response.text
    subscriber = response.json()["data"]
    receiver.secrets[path] = subscriber["secret"]
    return subscriber


async def add_email(
    client: AsyncTestClient,
    org: Org,
    address: str,
    components: list[str] | None = None,
    **preferences: bool,
) -> dict:
    page_id = await page_of(client, org)
    body: dict = {"channel": "email", "address": address, **preferences}
    if components is not None:
        body["componentIds"] = components
    response = await client.post(
        f"/v1/status-pages/{page_id}/subscribers", json=body, headers=org.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def page_of(client: AsyncTestClient, org: Org, slug: str = "acme") -> str:
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    return next(page["id"] for page in pages if page["slug"] == slug)


async def post_update(client: AsyncTestClient, org: Org, incident: dict, **body: object) -> dict:
    body.setdefault("visibility", "public")
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates", json=body, headers=org.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def deliveries(client: AsyncTestClient, org: Org, **query: str) -> list[dict]:
    page_id = await page_of(client, org)
    found: list[dict] = []
    cursor = None
    while True:
        params = {**query, "limit": "100", **({"cursor": cursor} if cursor else {})}
        response = await client.get(
            f"/v1/status-pages/{page_id}/deliveries", params=params, headers=org.headers
        )
        assert response.status_code == 200, response.text
        found += response.json()["data"]
        cursor = response.json()["nextCursor"]
        if cursor is None:
            return found


def settled(client: AsyncTestClient, org: Org, count: int) -> Callable[[], Awaitable[bool]]:
    """A check for `eventually`: `count` deliveries exist and none is pending any more."""

    async def check() -> bool:
        rows = await deliveries(client, org)
        return len(rows) >= count and all(row["status"] != "pending" for row in rows)

    return check


async def running_jobs(redis_url: str) -> int:
    """How many delivery jobs have started and not finished: arq marks each while it runs."""
    async with Redis.from_url(redis_url) as redis:
        return len([key async for key in redis.scan_iter(f"{in_progress_key_prefix}*")])


def jobs_done(redis_url: str) -> Callable[[], Awaitable[bool]]:
    """A check for `eventually`: no delivery job is queued, deferred or running.

    arq keeps a job in its queue until the job has finished, and a job waits for every send it
    started, so once the queue is empty every message a job sent has had its answer.
    """

    async def check() -> bool:
        async with Redis.from_url(redis_url) as redis:
            return await redis.zcard(QUEUE) == 0

    return check
