"""Media in a real S3-compatible bucket (moto's server in CI), seen from outside: S3 and HTTP."""

import os
import re

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from portfolio.access import PictureMedia, grant_for
from portfolio.models import Picture
from tests.helpers import (
    image_bytes,
    make_picture,
    make_project,
    public_media,
    read_stored,
    stored_files,
    uploaded_image,
)
from tests.production.services import bucket_keys, needs_bucket, s3_client

pytestmark = [needs_bucket, pytest.mark.django_db]

IMMUTABLE_FOR_A_YEAR = "max-age=31536000, public, immutable"


def key_of(name: str) -> str:
    """The object key of a stored name: the test's prefix, then the name."""
    return f"{default_storage.location}/{name}"


def test_an_upload_lands_in_the_buckets_with_its_type_and_caching(settings):
    picture = make_picture(name="Holiday.JPG")
    rendition = picture.rendition_names[0]

    original = s3_client().head_object(
        Bucket=os.environ["AWS_PRIVATE_STORAGE_BUCKET_NAME"], Key=key_of(picture.photo.name)
    )
    head = s3_client().head_object(
        Bucket=os.environ["AWS_STORAGE_BUCKET_NAME"], Key=key_of(rendition)
    )
    public = requests.get(public_media(picture).src, timeout=10)
    unsigned_original = requests.get(
        f"{os.environ['AWS_S3_ENDPOINT_URL']}/{os.environ['AWS_PRIVATE_STORAGE_BUCKET_NAME']}/"
        f"{key_of(picture.photo.name)}",
        timeout=10,
    )

    # The original: in the private bucket, kept by no shared cache, refused without a signature.
    assert original["ContentType"] == "image/jpeg"
    assert original["CacheControl"] == "private, max-age=31536000, immutable"
    assert unsigned_original.status_code == 403
    # A public project's rendition: a plain URL every cache shares.
    assert head["ContentType"] == "image/webp"
    assert head["CacheControl"] == IMMUTABLE_FOR_A_YEAR
    assert public_media(picture).src == f"{settings.MEDIA_URL}{rendition}"
    assert public_media(picture).src.startswith(f"{os.environ['AWS_S3_ENDPOINT_URL']}/")
    assert (
        "?" not in public_media(picture).src
    )  # no signature, no expiry: one URL every cache shares
    assert public.status_code == 200
    assert public.headers["Content-Type"] == "image/webp"
    assert public.headers["Cache-Control"] == IMMUTABLE_FOR_A_YEAR
    assert public.content == read_stored(rendition)


@pytest.mark.parametrize(
    ("image_format", "extension", "content_type"),
    [("PNG", ".png", "image/png"), ("WEBP", ".webp", "image/webp"), ("GIF", ".gif", "image/gif")],
)
def test_every_object_gets_the_content_type_of_its_format(image_format, extension, content_type):
    name = default_storage.save(
        f"checks/picture{extension}", ContentFile(image_bytes(image_format))
    )

    head = s3_client().head_object(Bucket=os.environ["AWS_STORAGE_BUCKET_NAME"], Key=key_of(name))

    assert head["ContentType"] == content_type
    assert head["CacheControl"] == IMMUTABLE_FOR_A_YEAR


def test_page_image_urls_point_at_the_bucket(settings):
    project = make_project()
    pictures = [make_picture(project) for _ in range(2)]

    html = Client().get(project.get_absolute_url()).content.decode()

    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources
    assert all(source.startswith(settings.MEDIA_URL) for source in sources)
    for picture in pictures:
        assert public_media(picture).src in sources
        assert picture.photo.name not in html


def test_a_cdn_domain_replaces_the_bucket_in_every_url(settings):
    default = settings.STORAGES["default"]
    # As settings make them with AWS_S3_CUSTOM_DOMAIN set: https, not the bucket's protocol
    # (which settings give url_protocol only when there is no CDN domain).
    options = {
        **default["OPTIONS"],
        "custom_domain": "media.example-cdn.net",
        "url_protocol": "https:",
    }
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}
    project = make_project()
    picture = make_picture(project)

    html = Client().get(project.get_absolute_url()).content.decode()

    rendition = picture.rendition_names[0]
    expected = f"https://media.example-cdn.net/{options['location']}/{rendition}"
    assert public_media(picture).src == expected
    assert f'src="{expected}"' in html
    # The renditions task's files: the one rendition, the link-preview card and the web size.
    assert bucket_keys(f"{options['location']}/") == {
        key_of(rendition),
        key_of(picture.card),
        key_of(picture.web_size),
    }


def test_deleting_the_picture_removes_every_object(django_capture_on_commit_callbacks):
    picture = make_picture()
    kept = make_picture()
    kept_names = {kept.photo.name, *kept.rendition_names}
    objects_of_the_picture = {key_of(name) for name in stored_files() - kept_names}
    assert key_of(picture.photo.name) in objects_of_the_picture

    with django_capture_on_commit_callbacks(execute=True):
        picture.delete()

    remaining = {key_of(name) for name in stored_files()}
    assert remaining.isdisjoint(objects_of_the_picture)
    assert remaining == {key_of(name) for name in kept_names}


def test_two_uploads_of_the_same_name_never_collide():
    project = make_project()
    first, second = Picture(project=project), Picture(project=project)
    first.photo.save("photo.jpg", uploaded_image("photo.jpg", color=(255, 0, 0)))
    second.photo.save("photo.jpg", uploaded_image("photo.jpg", color=(0, 0, 255)))

    assert first.photo.name != second.photo.name
    # Originals are never presigned: only our file view applies the metadata policy.
    owner = grant_for(project, user=project.owner)
    for picture in (first, second):
        url = PictureMedia(picture, owner).original_url("photo.jpg")
        assert url.startswith("/files/") and "X-Amz-" not in url
    assert first.photo.open("rb").read() != second.photo.open("rb").read()


def test_an_existing_object_is_never_overwritten():
    first = default_storage.save("checks/same.jpg", ContentFile(b"first"))
    second = default_storage.save("checks/same.jpg", ContentFile(b"second"))

    assert first == "checks/same.jpg"
    assert second != first
    assert default_storage.open(first).read() == b"first"
    assert default_storage.open(second).read() == b"second"
