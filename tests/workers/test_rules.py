"""Pure rules of delivery: verdicts, retries with backoff and jitter, addresses, keys, tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.crypto import Keys, SecretUnreadable, new_webhook_secret, sign_webhook
from app.domain.addresses import is_public
from app.domain.notifications import (
    Attempt,
    Next,
    RetryPolicy,
    after_attempt,
    http_verdict,
    idempotency_key,
    smtp_verdict,
)
from testkit.signatures import verify_signature

POLICY = RetryPolicy(budget=5, base=10.0, cap=60.0)
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, "delivered"),
        (204, "delivered"),
        (301, "failed"),
        (400, "failed"),
        (404, "failed"),
        (408, "retry"),
        (410, "failed"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
    ],
)
def test_http_verdicts(status: int, verdict: str) -> None:
    assert http_verdict(status) == verdict


def test_smtp_verdicts() -> None:
    assert [smtp_verdict(c) for c in (250, 421, 451, 550, 554)] == [
        "delivered",
        "retry",
        "retry",
        "failed",
        "failed",
    ]


def test_backoff_doubles_with_jitter_up_to_the_cap_then_dead() -> None:
    def delay(attempts: int, jitter: float) -> float:
        step = after_attempt(
            Attempt("retry"), attempts=attempts, max_attempts=5, policy=POLICY, jitter=jitter
        )
        assert step.status == "pending"
        return step.delay

    assert [delay(n, 0.0) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 30.0]
    assert [delay(n, 0.999999) for n in (1, 2, 3)] == pytest.approx([10.0, 20.0, 40.0])
    assert after_attempt(
        Attempt("retry"), attempts=5, max_attempts=5, policy=POLICY, jitter=0.5
    ) == Next("dead")


def test_retry_after_is_honoured_up_to_the_cap_and_a_manual_retry_starts_over() -> None:
    asked = Attempt("retry", "HTTP 429", retry_after=45.0)
    assert after_attempt(asked, attempts=1, max_attempts=5, policy=POLICY, jitter=0).delay == 45.0
    greedy = Attempt("retry", "HTTP 503", retry_after=9999.0)
    assert after_attempt(greedy, attempts=1, max_attempts=5, policy=POLICY, jitter=0).delay == 60.0
    # After a manual retry max_attempts grew by a budget: the schedule starts from the base.
    again = after_attempt(Attempt("retry"), attempts=6, max_attempts=10, policy=POLICY, jitter=0)
    assert again == Next("pending", 5.0)


def test_final_verdicts_are_final() -> None:
    for verdict in ("delivered", "failed"):
        step = after_attempt(
            Attempt(verdict), attempts=1, max_attempts=5, policy=POLICY, jitter=0.3
        )
        assert step == Next(verdict)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1%eth0",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::a9fe:a9fe",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(address)


def test_one_idempotency_key_per_update_and_subscriber() -> None:
    update, subscriber = uuid.uuid4(), uuid.uuid4()
    key = idempotency_key(update, subscriber)
    assert key == idempotency_key(update, subscriber)
    assert key != idempotency_key(update, uuid.uuid4())
    assert key != idempotency_key(uuid.uuid4(), subscriber)


def test_signatures_verify_as_the_readme_shows_and_not_when_tampered() -> None:
    secret = new_webhook_secret()
    body = b'{"meta": {}}'
    header = sign_webhook(secret, int(NOW.timestamp()), body)
    assert header.startswith(f"t={int(NOW.timestamp())},v1=")
    assert verify_signature(secret, header, body, NOW.timestamp())
    assert not verify_signature(secret, header, body + b" ", NOW.timestamp())
    assert not verify_signature(new_webhook_secret(), header, body, NOW.timestamp())
    assert not verify_signature(secret, header, body, NOW.timestamp() + 3600)  # replayed late


def test_secrets_are_encrypted_and_tokens_signed_per_purpose_and_expiry() -> None:
    keys, other = Keys("k" * 40), Keys("x" * 40)
    secret = new_webhook_secret()
    stored = keys.encrypt(secret)
    assert secret.encode() not in stored
    assert keys.decrypt(stored) == secret

    subscriber = uuid.uuid4()
    confirm = keys.token("confirm", subscriber, NOW + timedelta(hours=48))
    assert keys.verify(confirm, "confirm", NOW) == subscriber
    assert keys.verify(confirm, "confirm", NOW + timedelta(hours=49)) is None
    assert keys.verify(confirm, "unsubscribe", NOW) is None
    assert other.verify(confirm, "confirm", NOW) is None
    forever = keys.token("unsubscribe", subscriber)
    assert keys.verify(forever, "unsubscribe", NOW + timedelta(days=3650)) == subscriber
    for broken in ("", "abc", forever + "x", "x" + forever, forever.replace(".", "")):
        assert keys.verify(broken, "unsubscribe", NOW) is None


def test_after_a_rotation_the_new_key_signs_and_encrypts_and_the_old_still_verifies() -> None:
    old, new = "o" * 40, "n" * 40
    rotated, new_only = Keys(new, [old]), Keys(new)
    subscriber = uuid.uuid4()
    old_link = Keys(old).token("unsubscribe", subscriber)
    assert rotated.verify(old_link, "unsubscribe", NOW) == subscriber
    assert new_only.verify(old_link, "unsubscribe", NOW) is None
    assert new_only.verify(rotated.token("unsubscribe", subscriber), "unsubscribe", NOW)

    secret = new_webhook_secret()
    under_old = Keys(old).encrypt(secret)
    assert rotated.decrypt(under_old) == secret
    with pytest.raises(SecretUnreadable):
        new_only.decrypt(under_old)
    moved = rotated.reencrypt(under_old)
    assert moved is not None and new_only.decrypt(moved) == secret
    assert rotated.reencrypt(moved) is None  # already under the new key
    assert new_only.decrypt(rotated.encrypt(secret)) == secret
    with pytest.raises(SecretUnreadable):
        new_only.reencrypt(under_old)
