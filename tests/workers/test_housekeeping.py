"""The worker's periodic clean-up: expired idempotency keys, sign-ups nobody can confirm now."""

from __future__ import annotations

from types import SimpleNamespace

import asyncpg
from litestar.testing import AsyncTestClient

from tests.api.conftest import Org
from tests.workers.helpers import add_email, page_of
from workers.housekeeping import expire_idempotency_keys, forget_unconfirmed_signups
from workers.links import CONFIRMATION_LIFETIME


async def test_expired_idempotency_keys_are_removed(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    for key in ("old", "new"):
        headers = {**org.headers, "Idempotency-Key": key}
        await client.post("/v1/components", json={"name": key}, headers=headers)
    await pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'"
    )
    assert await expire_idempotency_keys({"herald": SimpleNamespace(pool=pool)}) == 1
    remaining = await pool.fetch("SELECT key FROM idempotency_keys")
    assert [row["key"] for row in remaining] == ["new"]


async def test_sign_ups_nobody_confirmed_are_forgotten_once_their_link_expired(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    for address in ("expired@example.com", "fresh@example.com", "owed@example.com"):
        response = await client.post("/status/acme/subscribe", json={"email": address})
        assert response.status_code == 202
    await add_email(client, org, "vouched@example.com")  # confirmed by the organization
    # The confirmation mails went out: one more than the link's lifetime ago, one just now. The
    # third is still owed (its mail will bring a fresh link), though asked for as long ago.
    aged = f"now() - interval '{CONFIRMATION_LIFETIME.total_seconds() / 3600 + 1} hours'"
    await pool.execute(
        f"UPDATE deliveries d SET status = 'delivered', attempts = 1, created_at = {aged},"
        f" last_attempt_at = {aged}, delivered_at = {aged} FROM subscribers s"
        " WHERE s.id = d.subscriber_id AND s.target = 'expired@example.com'"
    )
    await pool.execute(
        "UPDATE deliveries d SET status = 'delivered', attempts = 1, last_attempt_at = now(),"
        " delivered_at = now() FROM subscribers s"
        " WHERE s.id = d.subscriber_id AND s.target = 'fresh@example.com'"
    )
    await pool.execute(f"UPDATE deliveries SET created_at = {aged}")
    await pool.execute(f"UPDATE subscribers SET created_at = {aged}")

    assert await forget_unconfirmed_signups({"herald": SimpleNamespace(pool=pool)}) == 1
    page_id = await page_of(client, org)
    listed = await client.get(f"/v1/status-pages/{page_id}/subscribers", headers=org.headers)
    statuses = {row["address"]: row["status"] for row in listed.json()["data"]}
    assert statuses == {
        "fresh@example.com": "pending_confirmation",
        "owed@example.com": "pending_confirmation",
        "vouched@example.com": "active",
    }
    # Nothing is kept of the expired sign-up; its confirmation delivery went with it.
    assert (
        await pool.fetchval("SELECT count(*) FROM subscribers WHERE target = 'expired@example.com'")
        == 0
    )
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 2
    assert await forget_unconfirmed_signups({"herald": SimpleNamespace(pool=pool)}) == 0

    # The address may sign up again, and is owed a confirmation mail again.
    again = await client.post("/status/acme/subscribe", json={"email": "expired@example.com"})
    assert again.status_code == 202
    owed = await pool.fetchval(
        "SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
        " WHERE s.target = 'expired@example.com' AND d.status = 'pending'"
    )
    assert owed == 1
