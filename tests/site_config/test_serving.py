"""Media is served by Django only in development; static files by WhiteNoise, always."""

import gzip

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

from tests.helpers import make_picture, public_media, read_stored

pytestmark = pytest.mark.django_db


@pytest.mark.local_media
def test_media_is_served_in_debug(settings, reload_urls):
    picture = make_picture()
    settings.DEBUG = True
    reload_urls()

    response = Client().get(public_media(picture).src)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content) == read_stored(picture.rendition_names[0])
    # Originals are not in MEDIA_ROOT, so not under MEDIA_URL either.
    assert Client().get(f"/media/{picture.photo.name}").status_code == 404


@pytest.mark.local_media
def test_media_is_not_served_with_debug_off(settings, reload_urls):
    picture = make_picture()
    settings.DEBUG = False
    reload_urls()

    response = Client().get(public_media(picture).src)

    assert response.status_code == 404


def test_static_files_are_hashed_compressed_and_cached_forever(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    call_command("collectstatic", interactive=False, verbosity=0)
    hashed_url = staticfiles_storage.url("css/site.css")

    # A new client builds a new WhiteNoise middleware, which indexes the new STATIC_ROOT.
    response = Client().get(hashed_url)

    assert hashed_url != "/static/css/site.css"
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    hashed_name = hashed_url.removeprefix(settings.STATIC_URL)
    compressed = settings.STATIC_ROOT / f"{hashed_name}.gz"
    assert compressed.is_file()
    assert (
        gzip.decompress(compressed.read_bytes())
        == (settings.STATIC_ROOT / hashed_name).read_bytes()
    )

    gzipped = Client().get(hashed_url, headers={"Accept-Encoding": "gzip"})
    assert gzipped["Content-Encoding"] == "gzip"


def test_static_and_media_never_share_a_folder_or_url(settings):
    assert settings.MEDIA_URL != settings.STATIC_URL
    assert not settings.MEDIA_URL.startswith(f"/{settings.STATIC_URL}")
    assert settings.STATIC_ROOT not in (settings.MEDIA_ROOT, *settings.MEDIA_ROOT.parents)
    assert settings.MEDIA_ROOT not in (settings.STATIC_ROOT, *settings.STATIC_ROOT.parents)


def test_healthz_answers_without_a_template():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]
