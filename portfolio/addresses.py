"""
The client's address: the one answer to "who is asking, as the network sees them", for every
count kept per address (a share link's password tries, django-axes' sign-in throttling).

Behind PORTFOLIO_TRUSTED_PROXIES proxies (nginx as docs/production.md configures it: one), the
connection comes from the last proxy, and each proxy appended the address it saw to
X-Forwarded-For. Only what those proxies appended is trusted: the right-most hop none of them
is. Anything further left was sent by the client and could be anything.

An IPv6 client is counted by its /64: a network gives each host a /64 of its own (RFC 6177),
from which it may take a new address for every request, as one IPv4 address would be.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# What a column holding one of these needs: an IPv6 address at its longest (45, written with an
# IPv4 address inside); normal_address() writes at most 39, client_address() 24 (a /64).
ADDRESS_LENGTH = 45
# The IPv6 network one client is counted as.
IPV6_CLIENT_PREFIX = 64


def client_address(request: HttpRequest) -> str:
    """
    The address of whoever sent `request`, past our own proxies, as it is counted (an IPv6
    address as its /64, "2001:db8:1:2::/64"); "" if there is none.
    """
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop] + [request.META.get("REMOTE_ADDR", "")]
    # Hops[-1] is the connection, the last trusted proxy's if any; each proxy before it wrote
    # one hop more. Fewer hops than proxies: the request did not pass them all; the left-most.
    position = max(0, len(hops) - 1 - settings.PORTFOLIO_TRUSTED_PROXIES)
    # What a trusted proxy wrote is an address; a hop that is not one (a proxy misconfigured)
    # gives way to the nearest address to its right, which a proxy of ours vouches for.
    for hop in hops[position:]:
        address = normal_address(hop)
        if ":" in address:
            network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
            return str(network)
        if address:
            return address
    return ""


def normal_address(text: str) -> str:
    """`text` as one spelling of its address ("::FFFF:1.2.3.4" is 1.2.3.4), or "" if none."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        # Without a zone ("%eth0"): any text a sender likes, and the same host without it.
        address = address.ipv4_mapped or ipaddress.IPv6Address(int(address))
    return str(address)  # At most 39 characters.
