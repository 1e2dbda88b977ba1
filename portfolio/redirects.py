"""Where the site sends people back to: only ever one of its own pages."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def own_url_or(request: HttpRequest, url: str, default: str) -> str:
    """
    `url` if it leads to a page of this site, else `default`: for every address a client
    sends that the site links or redirects to (`next`, the Referer). Other hosts, schemes
    such as javascript:, and the tricks browsers read as another host (//host, \\host) fail.
    """
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default
