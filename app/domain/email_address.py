"""Which email addresses a subscriber may give: one mailbox that a mail server can be asked
to deliver to, with non-ASCII characters allowed (RFC 6531) and kept in NFC."""

from __future__ import annotations

import unicodedata

MAX_OCTETS = 254  # the longest path SMTP allows, less its angle brackets (RFC 5321)
MAX_LOCAL_OCTETS = 64
# Characters that are not text: controls, invisible formatting, separators, private use,
# surrogates, unassigned code points. None of them belongs in an address a person can read.
_NOT_TEXT = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zs", "Zl", "Zp"})


def normalized_address(text: str) -> str:
    """The address in NFC, or ValueError saying what is wrong with it."""
    address = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(char) in _NOT_TEXT for char in address):
        raise ValueError("contains a space, a control or an invisible character")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an email address")
    if len(address.encode()) > MAX_OCTETS:
        raise ValueError(f"longer than {MAX_OCTETS} bytes")
    if len(local.encode()) > MAX_LOCAL_OCTETS:
        raise ValueError(f"the part before @ is longer than {MAX_LOCAL_OCTETS} bytes")
    try:
        # The codec checks each label's length and, for non-ASCII ones, that they are names.
        ascii_domain = domain.encode("idna")
    except UnicodeError:
        raise ValueError("the part after @ is not a domain name") from None
    if b"." not in ascii_domain.strip(b"."):
        raise ValueError("the part after @ is not a domain name")
    return address
