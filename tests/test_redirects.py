"""Every address a client sends and the site echoes (`next`, the Referer) leads to the site."""

import pytest
from django.test import Client, RequestFactory

from portfolio.redirects import own_url_or
from tests.helpers import make_picture, uploaded_image

pytestmark = pytest.mark.django_db

HOSTILE = [
    "//evil.example/",
    "https://evil.example/",
    "http://evil.example",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "https:\\\\evil.example",
    "///evil.example",
    " //evil.example",
    "https:evil.example",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver@evil.example/",
]


@pytest.fixture
def picture(project):
    return make_picture(project)


def page_url(picture, page: str) -> str:
    return f"/projects/{picture.project.slug}/pictures/{picture.pk}/{page}/"


@pytest.mark.parametrize("next_url", HOSTILE)
def test_hostile_next_values_are_never_echoed(next_url):
    request = RequestFactory().get("/")

    assert own_url_or(request, next_url, "/fallback/") == "/fallback/"


@pytest.mark.parametrize("next_url", ["/studio/", "/projects/kept/edit/#picture-3", "?page=2"])
def test_the_sites_own_addresses_are_kept(next_url):
    request = RequestFactory().get("/")

    assert own_url_or(request, next_url, "/fallback/") == next_url
    assert own_url_or(request, f"http://testserver{next_url}", "/x/").endswith(next_url)


@pytest.mark.parametrize("next_url", HOSTILE)
@pytest.mark.parametrize("page", ["delete", "edit"])
def test_picture_pages_link_back_to_the_project_instead(owner_client, picture, page, next_url):
    response = owner_client.get(page_url(picture, page), {"next": next_url})

    assert response.status_code == 200
    html = response.content.decode()
    assert "evil.example" not in html
    assert "alert(" not in html
    project_url = picture.project.get_absolute_url()
    assert f'<input type="hidden" name="next" value="{project_url}">' in html
    if page == "delete":
        assert f'<a class="button button-secondary" href="{project_url}">Cancel</a>' in html


def test_a_safe_next_is_where_cancel_and_the_form_lead(owner_client, picture):
    response = owner_client.get(page_url(picture, "delete"), {"next": "/studio/"})

    html = response.content.decode()
    assert '<a class="button button-secondary" href="/studio/">Cancel</a>' in html
    assert '<input type="hidden" name="next" value="/studio/">' in html


@pytest.mark.parametrize("next_url", HOSTILE)
def test_hostile_next_after_a_change_redirects_to_the_project(owner_client, picture, next_url):
    response = owner_client.post(page_url(picture, "edit"), {"caption": "New", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == f"{picture.project.get_absolute_url()}#picture-{picture.pk}"


@pytest.mark.parametrize("next_url", HOSTILE)
def test_the_sign_in_page_drops_a_hostile_next(next_url):
    response = Client().get("/accounts/login/", {"next": next_url})

    assert '<input type="hidden" name="next" value="">' in response.content.decode()


@pytest.mark.parametrize("referer", HOSTILE)
def test_the_storage_outage_page_links_back_only_to_the_site(
    owner_client,
    picture,
    referer,
    unreachable_bucket,  # After the picture: its file is stored before the outage.
):
    response = owner_client.post(
        f"/projects/{picture.project.slug}/pictures/",
        {"photos": [uploaded_image()]},
        headers={"Referer": referer},
    )

    assert response.status_code == 503
    html = response.content.decode()
    assert "evil.example" not in html
    assert 'href="/"' in html
