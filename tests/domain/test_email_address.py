"""Which email addresses a subscriber may give."""

from __future__ import annotations

import pytest

from app.domain.email_address import normalized_address


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("reader@example.com", "reader@example.com"),
        ("ren\u00e9@b\u00fccher.de", "ren\u00e9@b\u00fccher.de"),
        ("rene\u0301@bu\u0308cher.de", "ren\u00e9@b\u00fccher.de"),  # combining marks, composed
        ("\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a", "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a"),
        ("a@b.c", "a@b.c"),
    ],
)
def test_addresses_are_kept_in_nfc(given: str, kept: str) -> None:
    assert normalized_address(given) == kept


@pytest.mark.parametrize(
    "address",
    [
        "a\u200b@example.com",  # zero-width space
        "a\u202e@example.com",  # right-to-left override
        "a\u00a0b@example.com",  # no-break space
        "a@exa..mple.com",
        "a@.example.com",
        "a@example",
        "@example.com",
        "x" * 65 + "@example.com",
        "a@" + "b" * 64 + ".com",
        "a@" + ".".join(["b" * 60] * 5),
    ],
)
def test_what_cannot_be_one_deliverable_address_is_refused(address: str) -> None:
    with pytest.raises(ValueError):
        normalized_address(address)
