"""A media storage outage: a clear answer, nothing half-stored, pages still render."""

import socket

import pytest
from botocore.config import Config
from django.test import Client

from portfolio.middleware import STORAGE_UNAVAILABLE_MESSAGE, is_storage_outage
from portfolio.models import Picture
from tests.helpers import make_project, make_user, uploaded_image

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_bucket(settings) -> str:
    """Media in a bucket whose server is down, with the production client settings."""
    endpoint = f"http://127.0.0.1:{closed_port()}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "portfolio-media",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "unreachable",
                "secret_key": "unreachable",
                "file_overwrite": False,
                "querystring_auth": False,
                "client_config": Config(
                    connect_timeout=5, retries={"mode": "standard", "max_attempts": 3}
                ),
            },
        },
    }
    return endpoint


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def upload_through_the_admin(client: Client, **headers):
    project = make_project()
    return client.post(
        "/admin/portfolio/picture/add/",
        {"project": project.pk, "photo": uploaded_image(), "caption": "", "position": 0},
        headers={"Referer": f"http://testserver/admin/portfolio/project/{project.pk}/", **headers},
    )


def test_an_upload_to_a_stopped_bucket_answers_503_and_stores_nothing(
    unreachable_bucket, staff_client
):
    response = upload_through_the_admin(staff_client)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert STORAGE_UNAVAILABLE_MESSAGE in response.content.decode()
    assert not Picture.objects.exists()


def test_an_htmx_upload_to_a_stopped_bucket_reloads_the_page_with_the_message(
    unreachable_bucket, staff_client
):
    response = upload_through_the_admin(staff_client, HX_Request="true")
    reloaded = staff_client.get("/")

    assert response.status_code == 503
    assert response["HX-Refresh"] == "true"
    assert STORAGE_UNAVAILABLE_MESSAGE in reloaded.content.decode()
    assert not Picture.objects.exists()


def test_pages_render_while_the_bucket_is_down(unreachable_bucket):
    project = make_project()
    picture = Picture.objects.create(
        project=project, photo=f"projects/{project.pk}/0123abcd.jpg", width=64, height=48
    )

    response = Client().get(project.get_absolute_url())

    assert response.status_code == 200
    assert (
        f'src="{unreachable_bucket}/portfolio-media/{picture.photo.name}"'
        in response.content.decode()
    )


def test_other_errors_are_not_taken_for_an_outage():
    assert is_storage_outage(OSError(28, "No space left on device"))
    assert not is_storage_outage(OSError("cannot identify image file"))
    assert not is_storage_outage(ValueError("bad value"))
