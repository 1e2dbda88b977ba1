"""A media storage outage: a clear answer, nothing half-stored, pages still render."""

import json

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse

from portfolio.models import Picture
from portfolio.storage_outage import (
    STORAGE_UNAVAILABLE_MESSAGE,
    STORAGE_UNAVAILABLE_REASON,
    is_storage_outage,
)
from tests.helpers import make_project, make_user, signed_in, stored_files, uploaded_image

pytestmark = pytest.mark.django_db

# What scripts are told of an outage, besides the page.
REFUSED = {"request-refused": {"message": STORAGE_UNAVAILABLE_MESSAGE}}


def upload(client: Client, project, *files, **headers):
    return client.post(
        reverse("portfolio:picture-upload", kwargs={"slug": project.slug}),
        {"photos": list(files)},
        headers={"Referer": f"http://testserver{project.get_absolute_url()}", **headers},
    )


def test_an_upload_to_a_stopped_bucket_answers_503_and_stores_nothing(
    unreachable_bucket, owner_client, project
):
    response = upload(owner_client, project, uploaded_image("one.jpg"), uploaded_image("two.jpg"))

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert json.loads(response["HX-Trigger"]) == REFUSED
    html = response.content.decode()
    assert STORAGE_UNAVAILABLE_MESSAGE in html
    assert f'href="http://testserver{project.get_absolute_url()}"' in html
    assert not Picture.objects.exists()


def test_an_htmx_upload_to_a_stopped_bucket_reloads_the_page_with_the_message(
    unreachable_bucket, owner_client, project
):
    response = upload(owner_client, project, uploaded_image(), HX_Request="true")
    reloaded = owner_client.get(project.get_absolute_url())

    assert response.status_code == 503
    assert response["HX-Refresh"] == "true"
    # upload.js stays on the page, and says this.
    assert json.loads(response["HX-Trigger"]) == REFUSED
    assert STORAGE_UNAVAILABLE_MESSAGE in reloaded.content.decode()
    assert not Picture.objects.exists()


def test_a_storage_failing_midway_keeps_what_was_stored_and_lists_the_rest(
    owner_client, project, monkeypatch
):
    # A store that fails between two files of one request cannot be made on cue: the
    # storage answers the first file, then fails as a stopped bucket does.
    storage_class = type(storages.create_storage(storages.backends["default"]))
    save = storage_class.save
    calls = []

    def save_then_fail(storage, name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) > 1:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
        return save(storage, name, content, *args, **kwargs)

    monkeypatch.setattr(storage_class, "save", save_then_fail)
    files = [uploaded_image(f"{name}.jpg") for name in ("one", "two", "three")]

    response = upload(owner_client, project, *files, HX_Request="true")

    assert response.status_code == 200
    [picture] = Picture.objects.all()
    assert json.loads(response["HX-Trigger"]) == {
        "upload-judged": {
            "added": 1,
            "refused": 2,
            "pictures": [{"id": picture.pk, "position": picture.position}],
        }
    }
    assert picture.original_filename == "one.jpg"
    assert stored_files() == {picture.photo.name, *picture.rendition_names}
    assert len(calls) == 2  # the third file was not tried
    html = response.content.decode()
    assert f'id="picture-{picture.pk}"' in html
    for name in ("two.jpg", "three.jpg"):
        assert f"{name}</span>: {STORAGE_UNAVAILABLE_REASON}" in html


def test_staff_uploading_in_the_admin_gets_the_same_answer(unreachable_bucket, project):
    staff = Client()
    staff.force_login(make_user(is_staff=True, is_superuser=True))

    response = staff.post(
        "/admin/portfolio/picture/add/",
        {"project": project.pk, "photo": uploaded_image(), "caption": "", "position": 0},
    )

    assert response.status_code == 503
    assert STORAGE_UNAVAILABLE_MESSAGE in response.content.decode()
    assert not Picture.objects.exists()


def test_pages_render_while_the_bucket_is_down(unreachable_bucket):
    project = make_project()
    rendition = f"projects/{project.pk}/0123abcd_w480.webp"
    picture = Picture.objects.create(
        project=project, photo=f"projects/{project.pk}/0123abcd.jpg", width=64, height=48
    )
    Picture.objects.filter(pk=picture.pk).update(
        renditions=[{"width": 64, "height": 48, "name": rendition}], renditions_public=True
    )

    waiting = Picture.objects.create(
        project=project, photo=f"projects/{project.pk}/4567cdef.jpg", width=64, height=48
    )

    visitor = Client().get(project.get_absolute_url())
    owner = signed_in(project.owner).get(project.get_absolute_url())

    assert visitor.status_code == 200
    assert f'src="{unreachable_bucket}/portfolio-media/{rendition}"' in visitor.content.decode()
    # The owner's page, with a picture whose renditions are not made yet (an empty frame:
    # an original is never shown in a page), needs no answer from the store either.
    assert owner.status_code == 200
    assert f'src="{unreachable_bucket}/portfolio-media/{rendition}"' in owner.content.decode()
    assert waiting.photo.name not in owner.content.decode()


def test_other_errors_are_not_taken_for_an_outage():
    assert is_storage_outage(OSError(28, "No space left on device"))
    assert not is_storage_outage(OSError("cannot identify image file"))
    assert not is_storage_outage(ValueError("bad value"))
