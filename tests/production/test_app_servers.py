"""
Production as deployed: two gunicorn app servers and a worker sharing the database and the
bucket, as behind a load balancer. Whatever one does, the others serve: what a process keeps
(pages for visitors) is keyed by the content version in the database.
"""

import re
import time

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.storage import default_storage

from portfolio.models import Picture, Project
from tests.helpers import (
    PASSWORD,
    image_bytes,
    make_picture,
    make_project,
    make_user,
    public_media,
)
from tests.production.services import (
    app_server,
    manage,
    needs_bucket,
    needs_postgres,
    production_environment,
    worker,
)

pytestmark = [needs_postgres, needs_bucket, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def app_environment() -> dict[str, str]:
    """
    Production variables for this test's database and bucket prefix, renditions through the
    database queue, static files collected.
    """
    env = production_environment(
        AWS_LOCATION=default_storage.location, DJANGO_TASKS_BACKEND="database"
    )
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


@pytest.fixture
def owner():
    """An owner whose password the app servers can check: they hash as production does."""
    user = make_user("studio")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    return user


def sign_in(session: requests.Session, server: str, username: str) -> None:
    """Sign in through the real login form, CSRF token and all."""
    session.get(f"{server}/accounts/login/", timeout=10).raise_for_status()
    response = session.post(
        f"{server}/accounts/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/studio/",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text


def picture_images(html: str) -> list[str]:
    """The <img> tags of a project page's picture grid."""
    start = html.index('id="picture-grid"')
    return re.findall(r"<img [^>]*>", html[start : html.index("</ul>", start)])


def attribute(tag: str, name: str) -> str | None:
    found = re.search(rf' {name}="([^"]*)"', tag)
    return found and found[1]


def wait_for_renditions(picture: Picture, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not picture.renditions:
        assert time.monotonic() < deadline, "the worker made no renditions"
        time.sleep(0.2)
        picture.refresh_from_db()


def test_an_upload_through_one_server_is_served_by_the_other_and_the_worker(
    two_app_servers, app_environment, owner, tmp_path
):
    first, second = two_app_servers
    project = make_project(owner, title="Shared state")
    original = image_bytes("JPEG", (1200, 800))
    browser = requests.Session()
    sign_in(browser, first, "studio")

    upload = browser.post(
        f"{first}{project.get_absolute_url()}pictures/",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        files={"photos": ("Shared.jpg", original, "image/jpeg")},
        allow_redirects=False,
        timeout=30,
    )
    assert upload.status_code == 302, upload.text

    # Returned before any rendition exists: the other server shows the owner and visitors
    # alike an empty frame (an original is never shown in a page: it is the upload as it
    # came), and names the stored file to nobody.
    picture = Picture.objects.get(project=project)
    assert picture.renditions == []
    for session in (browser, requests):
        page = session.get(f"{second}{project.get_absolute_url()}", timeout=10).text
        assert picture_images(page) == [] and picture.photo.name not in page

    with worker(app_environment, tmp_path / "worker.log"):
        wait_for_renditions(picture)

    [image] = picture_images(
        requests.get(f"{second}{project.get_absolute_url()}", timeout=10).text
    )
    # The project's one picture is its cover: the grid shows the cover's file (docs/images.md).
    assert attribute(image, "srcset") == public_media(picture).cover_srcset
    for rendition in picture.renditions:
        served = requests.get(default_storage.url(rendition["name"]), timeout=10)
        assert served.status_code == 200
        assert served.headers["Content-Type"] == "image/webp"
    # The session made on the first server is good on the second: it lives in the database.
    studio = browser.get(f"{second}/studio/", allow_redirects=False, timeout=10)
    assert studio.status_code == 200
    assert "Shared state" in studio.text


def test_a_change_through_one_server_shows_at_once_in_the_others_kept_pages(
    two_app_servers, owner
):
    first, second = two_app_servers
    project = make_project(owner, title="Kept elsewhere")
    picture = make_picture(project, caption="Before")

    def pages() -> list[str]:
        """The gallery and the project page from the second server, several times over: each
        of its workers keeps the pages it rendered for visitors (portfolio/cache.py)."""
        return [
            requests.get(f"{second}{url}", timeout=10).text
            for url in ["/", project.get_absolute_url()] * 6
        ]

    assert all('alt="Before"' in html for html in pages())
    browser = requests.Session()
    sign_in(browser, first, "studio")
    edited = browser.post(
        f"{first}/projects/{project.slug}/pictures/{picture.pk}/edit/",
        data={"caption": "After", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    assert edited.status_code == 302, edited.text
    assert all('alt="After"' in html for html in pages())

    # A queryset update from yet another process (this one), as a shell or a script does.
    Project.objects.filter(pk=project.pk).update(title="Renamed elsewhere")
    assert all("Renamed elsewhere" in html for html in pages())
