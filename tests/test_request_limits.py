"""Bodies too large are refused before they are read; temporary upload files kept tidy."""

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from portfolio.models import Picture
from portfolio.uploads import STALE_UPLOAD_SECONDS
from site_config.environment import BASE_DIR
from tests.helpers import (
    HTMX,
    image_bytes,
    load_settings,
    run_python,
    signed_in,
    stored_files,
    uploaded_image,
)

pytestmark = pytest.mark.django_db

BOUNDARY = "limits-test-boundary"
MB = 1024 * 1024


class MultipartBody:
    """
    A multipart body of `size` bytes holding one big file, made as it is read (no memory
    spent on it), counting how much of it was read.
    """

    def __init__(self, size: int) -> None:
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="photos"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size, self.position = size, 0

    def read(self, size: int = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self.position + size)
        chunk = bytearray()
        while self.position < end:
            start = self.position
            if start < len(self.head):
                piece = self.head[start:end]
            elif start < self.size - len(self.tail):
                piece = bytes(min(end, self.size - len(self.tail)) - start)
            else:
                piece = self.tail[start - (self.size - len(self.tail)) : end - start]
            chunk += piece
            self.position += len(piece)
        return bytes(chunk)

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.fixture
def temp_dir(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads-in-flight")
    return tmp_path / "uploads-in-flight"


@pytest.fixture
def project(project, settings):
    settings.PORTFOLIO_UPLOAD_MAX_BYTES = MB
    settings.PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES = 2 * MB
    return project


def post_body(client: Client, project, body: MultipartBody, **headers):
    """Post the body through the real stack, CSRF check included, as a browser would."""
    client.get("/accounts/login/")  # A page with a form: it sets the CSRF cookie.
    token = client.cookies["csrftoken"].value
    return client.post(
        f"/projects/{project.slug}/pictures/",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers={"X-CSRFToken": token, **headers},
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_body_over_the_limit_is_refused_before_a_byte_is_read(project, temp_dir, headers):
    client = Client(enforce_csrf_checks=True)
    client.force_login(project.owner)
    body = MultipartBody(50 * MB)

    response = post_body(client, project, body, **headers)

    assert response.status_code == 413
    assert body.position == 0
    message = (
        "Too much in one upload: at most 2 MB at a time, you sent 50 MB. Nothing was uploaded."
    )
    assert message in response.content.decode()
    assert ("<html" in response.content.decode()) is not bool(headers)
    assert not Picture.objects.exists()
    assert stored_files() == set()
    assert not temp_dir.exists() or not any(temp_dir.iterdir())


def test_anonymous_bodies_over_the_limit_are_refused_unread_too(project, temp_dir):
    body = MultipartBody(50 * MB)

    response = post_body(Client(enforce_csrf_checks=True), project, body)

    assert response.status_code == 413
    assert body.position == 0


def test_the_limit_leaves_room_for_the_rest_of_the_form(project, temp_dir):
    """Files up to the limit per request, with their part headers, are read and judged."""
    client = signed_in(project.owner)
    body = MultipartBody(2 * MB + 4096)

    response = post_body(client, project, body)

    assert response.status_code == 400  # Judged: the form says why (too much, not an image).
    assert body.position == body.size


def test_files_over_the_memory_limit_are_spooled_in_our_folder(temp_dir, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    request = RequestFactory().post("/", {"photos": SimpleUploadedFile("big.jpg", bytes(4096))})

    spooled = request.FILES["photos"].temporary_file_path()

    assert os.path.dirname(spooled) == str(temp_dir)
    assert os.path.basename(spooled).startswith("tmp")
    assert ".upload" in os.path.basename(spooled)


def test_stale_temporary_uploads_are_removed_with_the_next_upload(project, temp_dir):
    temp_dir.mkdir()
    stale = temp_dir / "tmpkilledworker.upload.jpg"
    in_flight = temp_dir / "tmpotherworker.upload.jpg"
    not_an_upload = temp_dir / "notes.txt"
    for path in (stale, in_flight, not_an_upload):
        path.write_bytes(b"left behind")
    long_ago = time.time() - STALE_UPLOAD_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))
    os.utime(not_an_upload, (long_ago, long_ago))
    client = signed_in(project.owner)

    response = client.post(
        f"/projects/{project.slug}/pictures/",
        {"photos": [uploaded_image()]},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert sorted(path.name for path in temp_dir.iterdir()) == [
        "notes.txt",
        "tmpotherworker.upload.jpg",
    ]


STARTS = {
    "wsgi": "import site_config.wsgi",
    "asgi": "import site_config.asgi",
    # Django's checks want the folder to exist (files.E001): commands make it first too.
    "check": "from django.core.management import execute_from_command_line as run; "
    "run(['manage.py', 'check'])",
}


@pytest.mark.parametrize("start", STARTS.values(), ids=STARTS.keys())
def test_every_process_makes_the_folder_and_cleans_it_as_it_starts(start, tmp_path):
    folder = tmp_path / "uploads-in-flight"

    def start_a_process() -> None:
        result = run_python(
            start,
            DJANGO_SETTINGS_MODULE="site_config.settings",
            DJANGO_SECRET_KEY="a-real-key-for-this-test-" * 2,
            DJANGO_FILE_UPLOAD_TEMP_DIR=str(folder),
        )
        assert result.returncode == 0, result.stderr

    start_a_process()
    assert folder.is_dir()

    stale, fresh = folder / "tmpkilled.upload.png", folder / "tmpbusy.upload.png"
    for path in (stale, fresh):
        path.write_bytes(image_bytes("PNG"))
    os.utime(stale, (0, 0))
    start_a_process()
    assert [path.name for path in folder.iterdir()] == ["tmpbusy.upload.png"]


def test_the_default_folder_is_ours_and_configurable(tmp_path):
    default = load_settings("s.FILE_UPLOAD_TEMP_DIR")
    assert default.stdout.strip() == str(BASE_DIR / "tmp" / "uploads")
    chosen = load_settings("s.FILE_UPLOAD_TEMP_DIR", DJANGO_FILE_UPLOAD_TEMP_DIR=str(tmp_path))
    assert chosen.stdout.strip() == str(tmp_path)


@pytest.mark.parametrize(
    "folder",
    ["{media}", "{media}/tmp", "{static}/tmp", "{base}"],
    ids=["media", "inside-media", "inside-static", "holding-both"],
)
def test_the_temporary_folder_must_be_apart_from_media_and_static(folder, tmp_path):
    folder = folder.format(
        media=tmp_path / "media", static=BASE_DIR / "staticfiles", base=BASE_DIR
    )
    result = load_settings(
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"), DJANGO_FILE_UPLOAD_TEMP_DIR=folder
    )

    assert result.returncode != 0
    assert "FILE_UPLOAD_TEMP_DIR must be outside MEDIA_ROOT and STATIC_ROOT" in result.stderr
