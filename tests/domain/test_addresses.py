"""Which addresses a webhook may reach: one case per special-purpose block, its edges included."""

from __future__ import annotations

import ipaddress
from ipaddress import ip_address, ip_network

import pytest

from app.domain.addresses import EMBEDDING, REFUSED, is_public

# (block, IANA's name, is the address just below the block public?, and just above?). None: the
# block starts or ends the address space. The neighbours' verdicts are written out by hand, so
# that an edge that is off by one fails here.
REFUSED_CASES = [
    # IANA IPv4 Special-Purpose Address Registry
    ("0.0.0.0/8", '"This network"', None, True),
    ("0.0.0.0/32", '"This host on this network"', None, False),
    ("10.0.0.0/8", "Private-Use", True, True),
    ("100.64.0.0/10", "Shared Address Space", True, True),
    ("127.0.0.0/8", "Loopback", True, True),
    ("169.254.0.0/16", "Link Local", True, True),
    ("172.16.0.0/12", "Private-Use", True, True),
    ("192.0.0.0/24", "IETF Protocol Assignments", True, True),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", True, False),
    ("192.0.0.8/32", "IPv4 dummy address", False, False),
    ("192.0.0.9/32", "Port Control Protocol Anycast", False, False),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", False, False),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", False, False),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", False, False),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", True, True),
    ("192.31.196.0/24", "AS112-v4", True, True),
    ("192.52.193.0/24", "AMT", True, True),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", True, True),
    ("192.88.99.2/32", "6a44-relay anycast address", False, False),
    ("192.168.0.0/16", "Private-Use", True, True),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", True, True),
    ("198.18.0.0/15", "Benchmarking", True, True),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", True, True),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", True, True),
    ("240.0.0.0/4", "Reserved", False, None),
    ("255.255.255.255/32", "Limited Broadcast", False, None),
    # IANA IPv4 Address Space Registry
    ("224.0.0.0/4", "Multicast", True, False),
    # IANA IPv6 Special-Purpose Address Registry (the blocks that embed IPv4 are further down)
    ("::1/128", "Loopback Address", False, False),
    ("::/128", "Unspecified Address", None, False),
    ("100::/64", "Discard-Only Address Block", False, False),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", False, False),
    ("2001::/23", "IETF Protocol Assignments", True, True),
    ("2001::/32", "TEREDO", True, False),
    ("2001:1::1/128", "Port Control Protocol Anycast", False, False),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", False, False),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast Address", False, False),
    ("2001:2::/48", "Benchmarking", False, False),
    ("2001:3::/32", "AMT", False, False),
    ("2001:4:112::/48", "AS112-v6", False, False),
    ("2001:10::/28", "Deprecated (previously ORCHID)", False, False),
    ("2001:20::/28", "ORCHIDv2", False, False),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", False, False),
    ("2001:db8::/32", "Documentation", True, True),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", True, True),
    ("3fff::/20", "Documentation", True, True),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", False, False),
    ("fc00::/7", "Unique-Local", False, False),
    ("fe80::/10", "Link-Local Unicast", False, False),
    # IANA IPv6 Address Space Registry, and the retired forms of embedded IPv4
    ("::/96", "IPv4-compatible (deprecated)", None, False),
    ("::ffff:0:0:0/96", "IPv4-translated", False, False),
    ("fec0::/10", "Site-local (deprecated)", False, False),
    ("ff00::/8", "Multicast", False, None),
]


@pytest.mark.parametrize(
    ("block", "name", "below", "above"), REFUSED_CASES, ids=[c[0] for c in REFUSED_CASES]
)
def test_every_address_of_a_special_purpose_block_is_refused(
    block: str, name: str, below: bool | None, above: bool | None
) -> None:
    network = ip_network(block)
    first, last = network[0], network[-1]
    for address in (first, network[network.num_addresses // 2], last):
        assert not is_public(str(address)), (name, str(address))
    if below is None:
        assert int(first) == 0
    else:
        assert is_public(str(first - 1)) is below, str(first - 1)
    if above is None:
        assert int(last) == int(network.broadcast_address) == (1 << network.max_prefixlen) - 1
    else:
        assert is_public(str(last + 1)) is above, str(last + 1)


# Blocks that stand for an IPv4 address: (block, an address standing for a public IPv4 one,
# addresses standing for non-public ones, its first and last included).
EMBEDDING_CASES = [
    (
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:8.8.8.8",
        ["::ffff:0.0.0.0", "::ffff:10.0.0.1", "::ffff:192.0.0.1", "::ffff:255.255.255.255"],
    ),
    (
        "64:ff9b::/96",  # NAT64, well-known prefix
        "64:ff9b::8.8.8.8",
        ["64:ff9b::", "64:ff9b::169.254.169.254", "64:ff9b::192.88.99.1", "64:ff9b::ffff:ffff"],
    ),
    (
        "64:ff9b:1::/48",  # NAT64, local-use prefix
        "64:ff9b:1:ab:cd::8.8.8.8",
        [
            "64:ff9b:1::",
            "64:ff9b:1::127.0.0.1",
            "64:ff9b:1:ffff::192.168.1.1",
            "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
        ],
    ),
    (
        "2002::/16",  # 6to4
        "2002:808:808::1",
        ["2002::", "2002:7f00:1::1", "2002:c000:2a::", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ),
]


@pytest.mark.parametrize(
    ("block", "public", "private"), EMBEDDING_CASES, ids=[c[0] for c in EMBEDDING_CASES]
)
def test_a_block_that_embeds_ipv4_is_judged_by_the_ipv4_address(
    block: str, public: str, private: list[str]
) -> None:
    network = ip_network(block)
    assert ip_address(public) in network and is_public(public)
    for address in private:
        assert ip_address(address) in network
        assert not is_public(address), address
    assert str(network[0]) in {str(ip_address(a)) for a in private}
    assert str(network[-1]) in {str(ip_address(a)) for a in private}


@pytest.mark.parametrize(
    "address",
    [
        "::8.8.8.8",  # IPv4-compatible, deprecated: no stack sends it to 8.8.8.8 any more
        "::ffff:0:8.8.8.8",  # IPv4-translated: only a translator inside one network knows it
        "2001:0:808:808::fefe:fefe",  # Teredo, with a public server and client
        "4000::1",  # outside 2000::/3, the only IPv6 space that is global unicast
        "1000::1",
        "e000::1",
    ],
)
def test_retired_and_unallocated_ipv6_is_refused_even_with_a_public_ipv4_inside(
    address: str,
) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "192.0.1.1",
        "2606:4700:4700::1111",
        "2001:4860:4860::8888",
        "2a00:1450:4001::1",
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(address)


def test_every_block_in_the_table_has_its_own_case() -> None:
    covered = {ip_network(case[0]) for case in REFUSED_CASES}
    assert {block.network for block in REFUSED} == covered
    assert {block.network for block, _ in EMBEDDING} == {
        ip_network(case[0]) for case in EMBEDDING_CASES
    }


def test_the_verdict_does_not_come_from_the_python_release(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ipaddress's notions of global and private have changed between releases; pretending
    they call everything global changes nothing."""
    for cls in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        monkeypatch.setattr(cls, "is_global", property(lambda _: True))
        monkeypatch.setattr(cls, "is_private", property(lambda _: False))
    for block, *_ in REFUSED_CASES:
        assert not is_public(str(ip_network(block)[0])), block
    assert is_public("8.8.8.8")
