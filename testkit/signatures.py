"""What a webhook receiver does with the Herald-Signature header, as the README shows it."""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE = 300  # seconds, as the README's verification snippet uses


def verify_signature(secret: str, header: str, body: bytes, now: float) -> bool:
    """True when `header` signs `body` with `secret` and its time is within the tolerance."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"]) and (
        abs(now - timestamp) <= TOLERANCE
    )
