"""
Two gunicorn app servers sharing the database and the bucket, as behind a load balancer:
whatever one does, the other serves. No state lives in a process.
"""

import re

import pytest
import requests
from django.core.files.storage import default_storage

from portfolio.models import Picture
from tests.helpers import image_bytes, make_project, make_user
from tests.production.services import (
    app_server,
    manage,
    needs_bucket,
    needs_postgres,
    production_environment,
)

pytestmark = [needs_postgres, needs_bucket, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def app_environment() -> dict[str, str]:
    """Production variables for this test's database and bucket prefix, static files collected."""
    env = production_environment(AWS_LOCATION=default_storage.location)
    collected = manage("collectstatic", "--no-input", "--verbosity", "0", env=env)
    assert collected.returncode == 0, collected.stderr
    return env


@pytest.fixture
def two_app_servers(app_environment, tmp_path):
    with (
        app_server(app_environment, tmp_path / "first.log") as first,
        app_server(app_environment, tmp_path / "second.log") as second,
    ):
        yield first, second


def sign_in(session: requests.Session, server: str, username: str) -> None:
    """Sign in through the real login form, CSRF token and all."""
    session.get(f"{server}/accounts/login/", timeout=10).raise_for_status()
    response = session.post(
        f"{server}/accounts/login/",
        data={
            "username": username,
            "password": "a-good-test-password",
            "next": "/",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text


def test_an_upload_through_one_server_is_served_by_the_other(two_app_servers):
    first, second = two_app_servers
    make_user("studio", is_staff=True, is_superuser=True)
    project = make_project(title="Shared state")
    original = image_bytes("JPEG", (320, 200))
    browser = requests.Session()
    sign_in(browser, first, "studio")

    upload = browser.post(
        f"{first}/admin/portfolio/picture/add/",
        data={
            "project": project.pk,
            "caption": "Uploaded to the first server",
            "position": 0,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        files={"photo": ("Shared.jpg", original, "image/jpeg")},
        allow_redirects=False,
        timeout=30,
    )
    assert upload.status_code == 302, upload.text

    picture = Picture.objects.get(project=project)
    page = requests.get(f"{second}{project.get_absolute_url()}", timeout=10)
    sources = re.findall(r'<img src="([^"]+)"', page.text)
    image = requests.get(sources[0], timeout=10)

    assert page.status_code == 200
    assert sources == [picture.photo.url]
    assert image.status_code == 200
    assert image.content == original
    # The session made on the first server is good on the second: it lives in the database.
    assert browser.get(f"{second}/admin/", allow_redirects=False, timeout=10).status_code == 200
