"""What every template may show: the site's identity, read once a request and only if used."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portfolio.models import SiteIdentity


def site_identity(request: HttpRequest) -> dict:
    # Lazy: an htmx fragment, which shows no title, header or footer, runs no query for it.
    return {"site_identity": SimpleLazyObject(SiteIdentity.current)}
