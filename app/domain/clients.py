"""Who a per-client limit counts as one client."""

from __future__ import annotations

import ipaddress

# An IPv6 site is routinely given a /64 and picks addresses in it at will (RFC 4941 privacy
# addresses change every day): one client per /64, as IPv4 counts one per address.
IPV6_CLIENT_PREFIX = 64


def client_of(host: str) -> str:
    """The key a client's requests are counted under: an IPv4 address itself, an IPv6
    address's /64 (an IPv4-mapped one as its IPv4 address), anything else as given."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)
