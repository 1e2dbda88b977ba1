"""What every template may show: the site's identity, read once a request and only if used."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portfolio.models import SiteIdentity


def site_identity(request: HttpRequest) -> dict:
    # Lazy: an htmx fragment, which shows no title, header or footer, runs no query for it.
    # The same row the page's link preview read, if it did (portfolio/discovery/).
    return {"site_identity": SimpleLazyObject(lambda: SiteIdentity.for_request(request))}
