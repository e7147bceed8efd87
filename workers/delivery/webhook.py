"""POST one message to one webhook: signed, keyed for idempotency, judged by the answer."""

from __future__ import annotations

import httpx

from app.crypto import sign_webhook
from app.domain.notifications import Attempt, http_verdict
from workers.delivery.guard import AddressRefused

USER_AGENT = "Herald-Webhooks/1"
SIGNATURE_HEADER = "Herald-Signature"
# Answers are read only to keep the connection reusable; a receiver cannot make us read more.
MAX_ANSWER_BYTES = 64 * 1024


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


async def post_webhook(
    client: httpx.AsyncClient,
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
        async with client.stream("POST", url, content=body, headers=headers) as response:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break
    except httpx.TimeoutException:
        return Attempt("retry", "timed out")
    except httpx.UnsupportedProtocol as error:
        return Attempt("failed", str(error))
    except httpx.TransportError as error:
        if isinstance(error.__cause__, AddressRefused):
            return Attempt("failed", f"refused: {error}")
        return Attempt("retry", f"connection failed: {error}")
    verdict = http_verdict(response.status_code)
    if verdict == "delivered":
        return Attempt(verdict)
    error = f"HTTP {response.status_code}"
    if response.is_redirect:
        error += " (redirects are not followed)"
    return Attempt(verdict, error, _retry_after(response))
