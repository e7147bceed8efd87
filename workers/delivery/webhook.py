"""POST one message to one webhook: signed, keyed for idempotency, judged by the answer."""

from __future__ import annotations

import contextlib

import aiohttp

from app.crypto import sign_webhook
from app.domain.notifications import Attempt, http_verdict
from workers.delivery.guard import AddressRefused

USER_AGENT = "Herald-Webhooks/1"
SIGNATURE_HEADER = "Herald-Signature"
# Answers are read only to keep the connection reusable; a receiver cannot make us read more.
MAX_ANSWER_BYTES = 64 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isascii() and value.isdigit() else None


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read what is left of the answer, up to MAX_ANSWER_BYTES; the status is what counts, so
    a body that breaks off or never ends only costs the connection."""
    if response.content.is_eof():
        return  # the whole answer came with its head: the connection is free to reuse as is
    read = 0
    with contextlib.suppress(TimeoutError, aiohttp.ClientError):
        async for chunk in response.content.iter_any():
            read += len(chunk)
            if read > MAX_ANSWER_BYTES:
                break  # the connection is closed instead of reused


async def post_webhook(
    session: aiohttp.ClientSession,
    *,
    url: str,
    secret: str,
    body: bytes,
    idempotency_key: str,
    timestamp: int,
) -> Attempt:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": idempotency_key,
        SIGNATURE_HEADER: sign_webhook(secret, timestamp, body),
    }
    try:
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
            await _drain(response)
    except TimeoutError:
        return Attempt("retry", "timed out")
    except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as error:
        return Attempt("failed", f"not a URL that can be sent to: {error}")
    except aiohttp.ClientConnectorError as error:
        if isinstance(error.os_error, AddressRefused):
            return Attempt("failed", f"refused: {error.os_error}")
        return Attempt("retry", f"connection failed: {error}")
    except aiohttp.ClientError as error:
        return Attempt("retry", f"connection failed: {error}")
    verdict = http_verdict(response.status)
    if verdict == "delivered":
        return Attempt(verdict)
    error = f"HTTP {response.status}"
    if response.status in REDIRECTS:
        error += " (redirects are not followed)"
    return Attempt(verdict, error, _retry_after(response))
