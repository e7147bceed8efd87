"""Rotating SECRET_KEY: old links and secrets work until re-encrypted, then the old key goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import msgspec
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.cli import main
from app.config import Settings
from app.crypto import Keys
from tests.api.conftest import Org, open_incident
from tests.workers.conftest import SECRET_KEY
from tests.workers.helpers import add_webhook, post_update
from tests.workers.services import Receiver, eventually
from workers.runner import work

OLD = SECRET_KEY
NEW = "the-new-secret-key-after-rotation-0123456789"


@asynccontextmanager
async def worker(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(work(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def reencrypt(database: str, **keys: str) -> Result:
    """`herald secrets reencrypt` with these keys; in a thread, as it runs an event loop."""
    env = {"DATABASE_URL": database, "SECRET_KEY": None, "SECRET_KEYS_OLD": None, **keys}
    return await asyncio.to_thread(CliRunner().invoke, main, ["secrets", "reencrypt"], env=env)


async def unsubscribe_page(client: AsyncTestClient, token: str) -> int:
    return (await client.get(f"/status/acme/unsubscribe?token={token}")).status_code


async def test_after_rotation_old_links_and_secrets_work_until_reencrypted_then_the_old_key_goes(
    client: AsyncTestClient,
    org: Org,
    settings: Settings,
    pool: asyncpg.Pool,
    receiver: Receiver,
) -> None:
    # Before the rotation: a webhook whose secret is under OLD, and a link OLD signed.
    hook = await add_webhook(client, org, receiver, "/hook")
    subscriber_id = UUID(hook["id"])
    old_link = Keys(OLD).token("unsubscribe", subscriber_id)
    incident = await open_incident(client, org)

    rotated = msgspec.structs.replace(settings, secret_key=NEW, secret_keys_old=(OLD,))
    async with serving(rotated) as api, worker(rotated):
        assert await unsubscribe_page(api, old_link) == 200
        await post_update(api, org, incident, body="Signed with the secret stored under OLD.")

        async def delivered() -> bool:
            return len(receiver.received) == 1

        await eventually(delivered, what="the webhook")
    [first] = receiver.received
    assert first.signed  # the secret stored under OLD decrypted
    new_link = urlsplit(first.body["meta"]["unsubscribe"]).query.removeprefix("token=")
    assert new_link != old_link  # links go out signed with NEW

    moved = await reencrypt(settings.database_url, SECRET_KEY=NEW, SECRET_KEYS_OLD=OLD)
    assert moved.exit_code == 0, moved.output
    assert "re-encrypted 1 webhook secrets; 0 were current" in moved.output
    again = await reencrypt(settings.database_url, SECRET_KEY=NEW, SECRET_KEYS_OLD=OLD)
    assert again.exit_code == 0, again.output
    assert "re-encrypted 0 webhook secrets; 1 were current" in again.output

    # The old key removed: secrets and the links sent since the rotation still work.
    new_only = msgspec.structs.replace(settings, secret_key=NEW, secret_keys_old=())
    async with serving(new_only) as api, worker(new_only):
        assert await unsubscribe_page(api, new_link) == 200
        assert await unsubscribe_page(api, old_link) == 400  # what OLD alone signed is gone
        await post_update(api, org, incident, body="Signed with the re-encrypted secret.")

        async def both() -> bool:
            return len(receiver.received) == 2

        await eventually(both, what="the second webhook")
    assert receiver.received[1].signed
    failed = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status <> 'delivered'")
    assert failed == 0


async def test_reencrypt_names_secrets_no_configured_key_decrypts(
    client: AsyncTestClient, org: Org, settings: Settings, receiver: Receiver
) -> None:
    hook = await add_webhook(client, org, receiver, "/hook")
    forgotten = await reencrypt(settings.database_url, SECRET_KEY=NEW)  # OLD not listed
    assert forgotten.exit_code == 1
    assert "1 secrets decrypt with no configured key" in forgotten.output
    assert hook["id"] in forgotten.output
    assert "SECRET_KEYS_OLD" in forgotten.output

    unset = await reencrypt(settings.database_url)
    assert unset.exit_code == 1 and "SECRET_KEY is not set" in unset.output
    alone = await reencrypt(settings.database_url, SECRET_KEYS_OLD=OLD)
    assert alone.exit_code == 1 and "SECRET_KEYS_OLD is set but SECRET_KEY is not" in alone.output
