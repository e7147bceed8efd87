"""One client per IPv4 address, per IPv6 /64."""

from __future__ import annotations

import pytest

from app.domain.clients import client_of


@pytest.mark.parametrize(
    ("host", "client"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_a_client_is_an_ipv4_address_or_an_ipv6_64(host: str, client: str) -> None:
    assert client_of(host) == client


def test_two_addresses_of_one_ipv6_64_are_one_client_and_the_next_64_another() -> None:
    one, same, other = "2001:db8:0:1::1", "2001:db8:0:1:ffff::9", "2001:db8:0:2::1"
    assert client_of(one) == client_of(same) != client_of(other)
