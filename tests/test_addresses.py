"""The client's address (portfolio/addresses.py): past our own proxies, and no further."""

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from portfolio.addresses import client_address


def address(remote: str, forwarded: str | None = None) -> str:
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    return client_address(RequestFactory(REMOTE_ADDR=remote, headers=headers).get("/"))


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # No proxy: the connection's address; whatever the client wrote is not believed.
        (0, "203.0.113.7", None, "203.0.113.7"),
        (0, "203.0.113.7", "10.0.0.1", "203.0.113.7"),
        # nginx: the hop it appended, not what the client put before it.
        (1, "127.0.0.1", "198.51.100.20", "198.51.100.20"),
        (1, "127.0.0.1", "10.0.0.1, 172.16.0.1, 198.51.100.20", "198.51.100.20"),
        (1, "127.0.0.1", "  198.51.100.20 ", "198.51.100.20"),
        # A CDN, then nginx: the hop the CDN appended.
        (2, "127.0.0.1", "10.0.0.1, 198.51.100.20, 192.0.2.1", "198.51.100.20"),
        # Fewer hops than proxies (a request that did not pass them all): the left-most.
        (2, "127.0.0.1", "198.51.100.20", "198.51.100.20"),
        (1, "127.0.0.1", None, "127.0.0.1"),
        # Spellings of one address are one address.
        (0, "::ffff:203.0.113.7", None, "203.0.113.7"),
        (1, "::1", "2001:DB8::0:1", "2001:db8::/64"),
        (1, "::1", "fe80::1%" + "x" * 500, "fe80::/64"),
        # An IPv6 client is its /64 (RFC 6177: each host is given one), whichever address
        # of it asks; another /64 is another client.
        (0, "2001:db8:0:1:aaaa::1", None, "2001:db8:0:1::/64"),
        (0, "2001:db8:0:1:ffff:ffff:ffff:ffff", None, "2001:db8:0:1::/64"),
        (0, "2001:db8:0:2::1", None, "2001:db8:0:2::/64"),
        (
            1,
            "::1",
            "198.51.100.20, 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:db8:ffff:ffff::/64",
        ),
        # Not an address where a proxy of ours wrote: the nearest address to its right.
        (1, "127.0.0.1", "10.0.0.1, not-an-address", "127.0.0.1"),
        (0, "", None, ""),
    ],
)
def test_the_client_is_the_right_most_hop_no_proxy_of_ours_is(
    settings, proxies, remote, forwarded, expected
):
    settings.PORTFOLIO_TRUSTED_PROXIES = proxies
    assert address(remote, forwarded) == expected


def test_django_axes_counts_sign_ins_at_the_same_address(settings):
    settings.PORTFOLIO_TRUSTED_PROXIES = 1
    request = RequestFactory(
        REMOTE_ADDR="127.0.0.1", headers={"X-Forwarded-For": "10.0.0.1, 198.51.100.20"}
    ).get("/")
    assert get_client_ip_address(request) == "198.51.100.20"
