"""What SECRET_KEY protects: webhook secrets at rest, and the tokens in subscriber links.

Each use gets its own key derived from SECRET_KEY (HKDF), so a token can never be mistaken for a
ciphertext or one purpose's token for another's. After a rotation the keys SECRET_KEY replaced
(SECRET_KEYS_OLD) still verify links and decrypt secrets; only the newest signs and encrypts, and
`herald secrets reencrypt` moves stored secrets to it, so that the old keys can then go.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from uuid import UUID

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import Settings

Purpose = Literal["confirm", "unsubscribe"]
WEBHOOK_SECRET_PREFIX = "whsec_"
_NEVER = 0


def _derive(secret_key: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret_key.encode()
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """The Herald-Signature header: HMAC-SHA256 over "{timestamp}.{body}", Stripe-style."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class SecretUnreadable(ValueError):
    """A stored secret that no configured key decrypts: encrypted with a key no longer set."""

    code = "secret_unreadable"


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"herald:secrets")))


class Keys:
    """SECRET_KEY signs and encrypts; it and the older keys after it verify and decrypt."""

    def __init__(self, secret_key: str, old_keys: Sequence[str] = ()) -> None:
        every = (secret_key, *old_keys)
        self._current = _fernet(secret_key)
        self._fernet = MultiFernet([_fernet(key) for key in every])
        self._links = [_derive(key, b"herald:links") for key in every]

    def encrypt(self, text: str) -> bytes:
        return self._current.encrypt(text.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as error:
            raise SecretUnreadable("No configured key decrypts this secret.") from error

    def reencrypt(self, ciphertext: bytes) -> bytes | None:
        """The same secret under SECRET_KEY, or None when it is under SECRET_KEY already."""
        try:
            self._current.decrypt(ciphertext)
            return None
        except InvalidToken:
            pass
        try:
            return self._fernet.rotate(ciphertext)
        except InvalidToken as error:
            raise SecretUnreadable("No configured key decrypts this secret.") from error

    def _mac(self, purpose: Purpose, payload: bytes, key: bytes) -> bytes:
        return hmac.new(key, purpose.encode() + b":" + payload, hashlib.sha256).digest()[:16]

    def token(self, purpose: Purpose, subscriber_id: UUID, expires: datetime | None = None) -> str:
        """A link token naming the subscriber; an unsubscribe token never expires."""
        until = _NEVER if expires is None else int(expires.timestamp())
        payload = subscriber_id.bytes + struct.pack(">Q", until)
        return f"{_b64(payload)}.{_b64(self._mac(purpose, payload, self._links[0]))}"

    def verify(self, token: str, purpose: Purpose, now: datetime) -> UUID | None:
        """The subscriber a genuine, unexpired token names, else None."""
        encoded, _, mac = token.partition(".")
        try:
            payload, presented = _unb64(encoded), _unb64(mac)
        except (binascii.Error, ValueError):
            return None
        if len(payload) != 24 or not any(
            hmac.compare_digest(presented, self._mac(purpose, payload, key)) for key in self._links
        ):
            return None
        (until,) = struct.unpack(">Q", payload[16:])
        if until != _NEVER and until < now.timestamp():
            return None
        return UUID(bytes=payload[:16])


def keys_of(settings: Settings) -> Keys | None:
    """The configured keys, or None without SECRET_KEY."""
    if not settings.secret_key:
        return None
    return Keys(settings.secret_key, settings.secret_keys_old)
