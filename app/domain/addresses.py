"""Which IP addresses a webhook may reach: public ones only, unless a setting allows others.

The rule is written out block by block from IANA's IPv4 and IPv6 Special-Purpose Address
Registries instead of taken from ipaddress's `is_global`, whose lists have changed between
Python releases: which receivers a webhook may reach must not depend on the Python running it.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import NamedTuple


class Block(NamedTuple):
    network: IPv4Network | IPv6Network
    name: str  # as IANA's registry names it


def _blocks(*rows: tuple[str, str]) -> tuple[Block, ...]:
    return tuple(Block(ip_network(block), name) for block, name in rows)


# Every block of the registries is refused, those IANA marks globally reachable too: they hold
# anycast services (PCP, TURN, AS112, AMT, 6a44) and identifiers that locate nothing (ORCHID,
# DRIP), none of them a subscriber's web server. Nested blocks are listed as IANA lists them.
REFUSED = _blocks(
    # IANA IPv4 Special-Purpose Address Registry
    ("0.0.0.0/8", '"This network"'),
    ("0.0.0.0/32", '"This host on this network"'),
    ("10.0.0.0/8", "Private-Use"),
    ("100.64.0.0/10", "Shared Address Space"),  # carrier-grade NAT
    ("127.0.0.0/8", "Loopback"),
    ("169.254.0.0/16", "Link Local"),  # where cloud metadata services live
    ("172.16.0.0/12", "Private-Use"),
    ("192.0.0.0/24", "IETF Protocol Assignments"),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix"),
    ("192.0.0.8/32", "IPv4 dummy address"),
    ("192.0.0.9/32", "Port Control Protocol Anycast"),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast"),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery"),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery"),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)"),
    ("192.31.196.0/24", "AS112-v4"),
    ("192.52.193.0/24", "AMT"),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)"),
    ("192.88.99.2/32", "6a44-relay anycast address"),
    ("192.168.0.0/16", "Private-Use"),
    ("192.175.48.0/24", "Direct Delegation AS112 Service"),
    ("198.18.0.0/15", "Benchmarking"),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)"),
    ("240.0.0.0/4", "Reserved"),
    ("255.255.255.255/32", "Limited Broadcast"),
    # IANA IPv4 Address Space Registry
    ("224.0.0.0/4", "Multicast"),
    # IANA IPv6 Special-Purpose Address Registry, but for the blocks in EMBEDDING
    ("::1/128", "Loopback Address"),
    ("::/128", "Unspecified Address"),
    ("100::/64", "Discard-Only Address Block"),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix"),
    ("2001::/23", "IETF Protocol Assignments"),
    # Teredo carries the packet over UDP to a client behind a NAT, through whichever relay
    # routing picks; the client's IPv4 address is only what its NAT showed the Teredo server,
    # so no check of it says where the packet ends. Refused whole, like the /23 around it.
    ("2001::/32", "TEREDO"),
    ("2001:1::1/128", "Port Control Protocol Anycast"),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast"),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast Address"),
    ("2001:2::/48", "Benchmarking"),
    ("2001:3::/32", "AMT"),
    ("2001:4:112::/48", "AS112-v6"),
    ("2001:10::/28", "Deprecated (previously ORCHID)"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix"),
    ("2001:db8::/32", "Documentation"),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service"),
    ("3fff::/20", "Documentation"),
    ("5f00::/16", "Segment Routing (SRv6) SIDs"),
    ("fc00::/7", "Unique-Local"),
    ("fe80::/10", "Link-Local Unicast"),
    # IANA IPv6 Address Space Registry, and the retired forms of IPv4 inside IPv6. All of these
    # lie outside GLOBAL_UNICAST too; they are named so that each has its own case in the tests.
    # IPv4-compatible addresses were deprecated by RFC 4291: current stacks do not send them
    # to the IPv4 address inside, and the block holds :: and ::1.
    ("::/96", "IPv4-compatible (deprecated)"),
    # IPv4-translated addresses (RFC 2765, obsolete) mean something to a translator inside
    # one network only.
    ("::ffff:0:0:0/96", "IPv4-translated"),
    ("fec0::/10", "Site-local (deprecated)"),
    ("ff00::/8", "Multicast"),
)

# The only IPv6 space IANA hands out for global unicast (IPv6 Address Space Registry); the rest
# is reserved by the IETF, or one of the blocks above.
GLOBAL_UNICAST = ip_network("2000::/3")


def _last_32_bits(address: IPv6Address) -> IPv4Address:
    return IPv4Address(int(address) & 0xFFFF_FFFF)


def _sixtofour(address: IPv6Address) -> IPv4Address:
    return IPv4Address((int(address) >> 80) & 0xFFFF_FFFF)


# IPv6 blocks that stand for an IPv4 address, judged by that address: a connection to one goes
# to that IPv4 host, so a public one is an ordinary receiver and a private one is refused.
EMBEDDING: tuple[tuple[Block, Callable[[IPv6Address], IPv4Address]], ...] = (
    # A dual-stack socket connects to the IPv4 address itself.
    (Block(ip_network("::ffff:0:0/96"), "IPv4-mapped Address"), _last_32_bits),
    # DNS64 on an IPv6-only network answers with these for receivers that have IPv4 only;
    # refusing the block would cut such a Herald off from them.
    (Block(ip_network("64:ff9b::/96"), "IPv4-IPv6 Translat."), _last_32_bits),
    # The local-use prefix is read like the well-known one, with the IPv4 address in the last
    # 32 bits, as a /96 under it puts it. A network that maps it with a shorter prefix length
    # (RFC 6052, section 2.2) places the address elsewhere; like any NAT64 prefix a network
    # chooses for itself, that is not something an address alone can show.
    (Block(ip_network("64:ff9b:1::/48"), "IPv4-IPv6 Translat."), _last_32_bits),
    # A 6to4 relay sends the packet on to the IPv4 address in bits 16 to 47.
    (Block(ip_network("2002::/16"), "6to4"), _sixtofour),
)


def _ipv4_inside(address: IPv6Address) -> IPv4Address | None:
    for block, embedded in EMBEDDING:
        if address in block.network:
            return embedded(address)
    return None


def is_public(text: str) -> bool:
    """Whether a webhook may connect to the address `text` (an IPv6 zone index is ignored);
    raises ValueError if `text` is not an IP address."""
    address = ip_address(text.partition("%")[0])
    if isinstance(address, IPv6Address):
        inside = _ipv4_inside(address)
        if inside is not None:
            address = inside
        elif address not in GLOBAL_UNICAST:
            return False
    return not any(address in block.network for block in REFUSED)
