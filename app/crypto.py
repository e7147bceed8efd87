"""What SECRET_KEY protects: webhook secrets at rest, and the tokens in subscriber links.

Each use gets its own key derived from SECRET_KEY (HKDF), so a token can never be mistaken for a
ciphertext or one purpose's token for another's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from typing import Literal
from uuid import UUID

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


class Keys:
    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"herald:secrets")))
        self._links = _derive(secret_key, b"herald:links")

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        return self._fernet.decrypt(ciphertext).decode()

    def _mac(self, purpose: Purpose, payload: bytes) -> bytes:
        return hmac.new(self._links, purpose.encode() + b":" + payload, hashlib.sha256).digest()[
            :16
        ]

    def token(self, purpose: Purpose, subscriber_id: UUID, expires: datetime | None = None) -> str:
        """A link token naming the subscriber; an unsubscribe token never expires."""
        until = _NEVER if expires is None else int(expires.timestamp())
        payload = subscriber_id.bytes + struct.pack(">Q", until)
        return f"{_b64(payload)}.{_b64(self._mac(purpose, payload))}"

    def verify(self, token: str, purpose: Purpose, now: datetime) -> UUID | None:
        """The subscriber a genuine, unexpired token names, else None."""
        encoded, _, mac = token.partition(".")
        try:
            payload, presented = _unb64(encoded), _unb64(mac)
        except (binascii.Error, ValueError):
            return None
        if len(payload) != 24 or not hmac.compare_digest(presented, self._mac(purpose, payload)):
            return None
        (until,) = struct.unpack(">Q", payload[16:])
        if until != _NEVER and until < now.timestamp():
            return None
        return UUID(bytes=payload[:16])
