"""The site's identity: one row staff edit in the admin, shown in every page's title,
header and footer and on the about page; kept pages follow an edit at once."""

import re

import pytest
from django.core.cache import caches

from portfolio.models import SiteIdentity
from tests.helpers import HTMX, make_picture, make_project

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/portfolio/siteidentity/1/change/"


def edit_in_the_admin(staff_client, **fields) -> None:
    identity = SiteIdentity.current()
    data = {
        name: getattr(identity, name)
        for name in ("name", "tagline", "about", "email", "instagram_url", "website_url", "credit")
    }
    response = staff_client.post(CHANGE_URL, {**data, **fields})
    assert response.status_code == 302, response.content.decode()


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode()).group(1)


def test_a_fresh_install_has_the_row_with_sensible_defaults(client):
    # Made by the migrations: no visitor's page ever writes it.
    assert SiteIdentity.objects.count() == 1
    identity = SiteIdentity.current()

    assert identity.name == "Portfolio"
    assert identity.tagline and identity.about and identity.credit
    assert identity.contact_links == []
    page = client.get("/").content.decode()
    assert "<title>Portfolio</title>" in page
    assert "Pictures belong to their authors." in page


def test_a_missing_row_is_made_again_with_the_defaults():
    SiteIdentity.objects.all().delete()

    assert SiteIdentity.current().name == "Portfolio"
    assert SiteIdentity.objects.count() == 1


def test_an_admin_edit_shows_in_titles_header_footer_and_about_page(client, staff_client):
    project = make_project(title="Hills")
    make_picture(project)
    client.get("/")
    client.get(project.get_absolute_url())  # Kept, before the edit.

    edit_in_the_admin(
        staff_client,
        name="Studio North",
        tagline="Light and stone",
        about="First paragraph.\n\nSecond paragraph.",
        email="hello@example.com",
        instagram_url="https://instagram.com/studionorth",
        credit="All rights reserved.",
    )

    gallery = client.get("/")
    assert title(gallery) == "Studio North"
    page = gallery.content.decode()
    assert '<a class="site-name" href="/">Studio North</a>' in page
    assert "Light and stone" in page
    assert "© " in page and "Studio North · All rights reserved." in page
    assert 'href="mailto:hello@example.com"' in page
    assert 'href="https://instagram.com/studionorth"' in page
    assert title(client.get(project.get_absolute_url())) == "Hills · Studio North"
    assert title(client.get("/accounts/login/")) == "Sign in · Studio North"
    about = client.get("/about/")
    assert title(about) == "About · Studio North"
    assert "<p>First paragraph.</p>" in about.content.decode()
    assert "<p>Second paragraph.</p>" in about.content.decode()


def test_the_about_page_is_in_the_header_and_kept_for_visitors(client, django_assert_num_queries):
    assert 'href="/about/">About</a>' in client.get("/").content.decode()
    client.get("/about/")

    # Kept: the content version alone.
    with django_assert_num_queries(1):
        assert client.get("/about/").status_code == 200


def test_an_edit_invalidates_kept_pages(client):
    client.get("/")
    identity = SiteIdentity.current()
    identity.name = "Renamed"
    identity.save()

    assert title(client.get("/")) == "Renamed"
    caches["pages"].clear()
    assert title(client.get("/")) == "Renamed"


def test_the_identity_costs_one_query_a_rendered_page_and_none_a_fragment(
    client, django_assert_num_queries
):
    # The gallery of an empty site: the version, the categories, the count, and the identity.
    with django_assert_num_queries(4):
        client.get("/", headers={"Cache-Control": "no-cache"})
    caches["pages"].clear()
    with django_assert_num_queries(3):
        client.get("/", headers=HTMX)


def test_the_admin_allows_no_second_row_and_no_deletion(staff_client):
    assert staff_client.get("/admin/portfolio/siteidentity/add/").status_code == 403
    assert staff_client.get("/admin/portfolio/siteidentity/1/delete/").status_code == 403
    response = staff_client.get("/admin/portfolio/siteidentity/")
    assert response.status_code == 302 and response.url == CHANGE_URL
    assert staff_client.get(CHANGE_URL).status_code == 200
    assert SiteIdentity.objects.count() == 1


def test_the_database_holds_one_row_at_most():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        SiteIdentity.objects.create(pk=2)
