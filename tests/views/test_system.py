"""The site's own 404 and 500 pages, as visitors get them with DEBUG off."""

import pytest
from django.db import DatabaseError
from django.test import Client

from portfolio.models import SiteIdentity
from portfolio.views.public import AboutView


@pytest.mark.django_db
def test_a_missing_page_is_the_sites_own_404(settings):
    settings.DEBUG = False
    identity = SiteIdentity.current()
    identity.name = "Ann Lee Photography"
    identity.save()

    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found · Ann Lee Photography</title>" in html
    assert '<h1 class="page-title">Page not found</h1>' in html
    assert 'class="site-header"' in html and 'href="/"' in html
    assert 'content="noindex"' in html


@pytest.mark.django_db
def test_a_server_error_is_the_sites_own_500_even_when_the_database_failed(settings, monkeypatch):
    settings.DEBUG = False

    def database_down(*args, **kwargs):
        raise DatabaseError("the database is down")

    # The error page must not need what failed: it reads no site identity, user or session.
    monkeypatch.setattr(AboutView, "get", database_down)
    monkeypatch.setattr(SiteIdentity, "for_request", database_down)
    response = Client(raise_request_exception=False).get("/about/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "<title>Something went wrong</title>" in html
    assert '<h1 class="page-title">Something went wrong</h1>' in html
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    assert "the database is down" not in html
