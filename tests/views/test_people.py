"""An owner's profile page: the credit defaults written into the pictures they upload."""

import pytest
from django.urls import reverse

from portfolio.models import Profile

pytestmark = pytest.mark.django_db

PROFILE = reverse("portfolio:profile")


def test_the_profile_page_asks_to_sign_in(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_owners_nav_links_the_profile_page(owner_client, client):
    link = f'<a href="{PROFILE}">Profile</a>'

    assert link in owner_client.get(reverse("portfolio:studio")).content.decode()
    assert link not in client.get(reverse("portfolio:gallery")).content.decode()


def test_an_owner_sets_their_credit_once_and_changes_it(owner_client, owner):
    assert owner_client.get(PROFILE).status_code == 200
    assert not Profile.objects.exists()  # Made at the first save, not by looking.

    fields = {
        "creator": "Bo Owner",
        "copyright_notice": "© Bo Owner",
        "credit_line": "Bo Owner Photography",
        "rights_url": "https://bo.example/rights",
    }
    response = owner_client.post(PROFILE, fields)
    assert response.status_code == 302
    owner_client.post(PROFILE, {**fields, "creator": "Bo O."})

    profile = Profile.objects.get()
    assert profile.user == owner
    assert profile.credit_defaults() == {**fields, "creator": "Bo O."}


def test_a_rights_url_must_be_a_web_address(owner_client):
    response = owner_client.post(PROFILE, {"rights_url": "javascript:alert(1)"})

    assert response.status_code == 200
    assert response.context["form"].errors["rights_url"]
    assert not Profile.objects.exists()


def test_a_rights_url_is_for_the_web_only(owner_client):
    response = owner_client.post(PROFILE, {"rights_url": "ftp://bo.example/rights"})

    assert response.context["form"].errors["rights_url"]
