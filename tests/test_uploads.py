"""Uploads through the real view: what is refused, what is stored, nothing half-stored."""

import io
import json
import random
import struct
import zlib
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from PIL import Image, ImageCms

from portfolio.access import original_bytes
from portfolio.forms import NOT_CHECKED_IN_TIME_REASON, PictureUploadForm

# Importing images.py registers pillow-heif, which the tests need to write HEIC too.
from portfolio.images import gate
from portfolio.images.gate import PreparedPicture, prepare_upload
from portfolio.models import Picture
from portfolio.tasks import make_renditions
from portfolio.views.studio import PictureUploadView
from tests.helpers import (
    HTMX,
    damaged_exif,
    files_under,
    image_bytes,
    make_picture,
    multi_picture_jpeg,
    open_stored_image,
    private_files,
    read_stored,
    stored_files,
)
from tests.helpers import uploaded_image as helper_uploaded_image

pytestmark = pytest.mark.django_db


def events(response) -> dict:
    """The htmx events an answer names in its HX-Trigger header."""
    return json.loads(response["HX-Trigger"])


def counts(response) -> dict:
    """How many files the upload-judged event says were stored and refused."""
    judged = events(response)["upload-judged"]
    return {"added": judged["added"], "refused": judged["refused"]}


def upload(client, project, *files, htmx=False, next_url=None):
    data = {"photos": list(files)}
    if next_url:
        data["next"] = next_url
    return client.post(
        reverse("portfolio:picture-upload", kwargs={"slug": project.slug}),
        data,
        headers=HTMX if htmx else {},
    )


def named(name: str, content: bytes, content_type: str = "image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


# Crafted files -------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG header (valid CRCs) that claims width × height, with tiny pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))
        + png_chunk(b"IEND", b"")
    )


def gif_with_screen(width: int, height: int) -> bytes:
    """A GIF whose logical screen is width × height around a 1×1 image."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0, 0, 0)
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00\x3b"
    )


def minimal_psd() -> bytes:
    """A Photoshop header: signature, version 1, 3 channels, 32×32, 8 bits, RGB."""
    return (
        b"8BPS"
        + struct.pack(">H6xHIIHH", 1, 3, 32, 32, 8, 3)
        + struct.pack(">III", 0, 0, 0)
        + struct.pack(">H", 0)
        + b"\x00" * (32 * 32 * 3)
    )


def truncated_jpeg() -> bytes:
    noise = Image.frombytes("RGB", (96, 96), random.Random(1).randbytes(96 * 96 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="JPEG", quality=90)
    data = buffer.getvalue()
    return data[: len(data) // 2]


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML_WITH_PNG_SIGNATURE = (
    b"\x89PNG\r\n\x1a\n<!doctype html><html><body><script>alert(1)</script></body></html>"
)


# Bad inputs: each refused with its reason, nothing stored --------------------------------

BAD_INPUTS = [
    pytest.param(lambda: [named("empty.jpg", b"")], "empty file", {}, id="zero-bytes"),
    pytest.param(
        lambda: [named("cut.jpg", truncated_jpeg())],
        "the file is damaged or incomplete",
        {},
        id="truncated-jpeg",
    ),
    pytest.param(
        lambda: [named("noise.jpg", random.Random(7).randbytes(4000))],
        "not an image",
        {},
        id="random-bytes-named-jpg",
    ),
    pytest.param(
        lambda: [named("page.png", HTML_WITH_PNG_SIGNATURE, "image/png")],
        "not an image",
        {},
        id="html-with-png-signature",
    ),
    pytest.param(
        lambda: [named("logo.png", SVG_WITH_SCRIPT, "image/png")],
        "SVG is not accepted",
        {},
        id="svg-script-named-png",
    ),
    pytest.param(
        lambda: [named("logo.svg", SVG_WITH_SCRIPT, "image/svg+xml")],
        "SVG is not accepted",
        {},
        id="svg-script-named-svg",
    ),
    pytest.param(
        lambda: [named("huge.png", png_claiming(50_000, 50_000), "image/png")],
        "more than 100 megapixels",
        {},
        id="png-claiming-50000x50000",
    ),
    pytest.param(
        # Between our limit and twice it: Pillow only warns, our own header check refuses.
        lambda: [named("big.png", png_claiming(12_000, 10_000), "image/png")],
        "more than 100 megapixels",
        {},
        id="png-claiming-120-megapixels",
    ),
    pytest.param(
        lambda: [named("wide.gif", gif_with_screen(60_000, 60_000), "image/gif")],
        "more than 100 megapixels",
        {},
        id="gif-huge-logical-screen",
    ),
    pytest.param(
        lambda: [named("small.png", image_bytes("PNG", (1200, 1000)), "image/png")],
        "more than 1 megapixels",
        {"PORTFOLIO_UPLOAD_MAX_PIXELS": 1_000_000},
        id="over-the-pixel-setting",
    ),
    pytest.param(
        lambda: [named("big.jpg", truncated_jpeg() * 3)],
        "larger than 2 KB",
        {"PORTFOLIO_UPLOAD_MAX_BYTES": 2048},
        id="over-the-byte-limit",
    ),
    pytest.param(
        lambda: [named("../../../../etc/evil.html", b"<html><script>x</script></html>")],
        "not an image",
        {},
        id="path-traversal-name",
    ),
    pytest.param(
        lambda: [named("evil\x00.jpg", b"<?php system($_GET['c']); ?>")],
        "not an image",
        {},
        id="nul-in-name",
    ),
    pytest.param(
        lambda: [named("cv.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")],
        "PDF is not accepted",
        {},
        id="pdf",
    ),
    pytest.param(
        lambda: [named("layers.psd", minimal_psd(), "image/vnd.adobe.photoshop")],
        "Photoshop (PSD) is not accepted",
        {},
        id="psd",
    ),
    pytest.param(
        lambda: [named("scan.tif", image_bytes("TIFF"), "image/tiff")],
        "TIFF is not accepted",
        {},
        id="tiff",
    ),
    pytest.param(
        lambda: [named("old.bmp", image_bytes("BMP"), "image/bmp")],
        "BMP is not accepted",
        {},
        id="bmp",
    ),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("make_files", "reason", "limits"), BAD_INPUTS)
def test_bad_input_is_refused_with_its_reason_and_leaves_nothing(
    owner_client, project, media_root, settings, make_files, reason, limits, htmx
):
    for name, value in limits.items():
        setattr(settings, name, value)
    make_picture(project)
    rows_before = set(Picture.objects.values_list("pk", "photo"))
    files_before = stored_files()
    # And on disk, wherever media go: a name like ../../x must not land beside MEDIA_ROOT.
    disk_before = files_under(media_root.parent)

    response = upload(owner_client, project, *make_files(), htmx=htmx)

    assert response.status_code == 400
    html = response.content.decode()
    assert reason in html
    assert ('id="upload-errors"' in html) and ('class="upload-error"' in html)
    assert ("<html" in html) is not htmx
    assert set(Picture.objects.values_list("pk", "photo")) == rows_before
    assert stored_files() == files_before
    assert files_under(media_root.parent) == disk_before


def test_refusal_names_the_file_without_its_path_or_control_characters(owner_client, project):
    response = upload(
        owner_client, project, named("..\\..\\secret\\bad\x07name\u202e.jpg", b"nope"), htmx=True
    )

    html = response.content.decode()
    assert '<span class="file-name">badname.jpg</span>: not an image' in html
    assert "secret" not in html


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_too_many_files_is_a_400_and_stores_nothing(owner_client, project, htmx):
    files = [helper_uploaded_image(f"p{number}.jpg") for number in range(21)]

    response = upload(owner_client, project, *files, htmx=htmx)

    assert response.status_code == 400
    assert "Too many files in one upload: at most 20 at a time" in response.content.decode()
    assert ("<html" in response.content.decode()) is not htmx
    if htmx:
        message = "Too many files in one upload: at most 20 at a time. Nothing was uploaded."
        assert events(response) == {"request-refused": {"message": message}}
    assert not Picture.objects.exists()
    assert stored_files() == set()


def test_no_file_at_all_is_a_400_with_a_message(owner_client, project):
    response = upload(owner_client, project, htmx=True)

    assert response.status_code == 400
    assert "Choose at least one picture." in response.content.decode()


def test_too_much_form_data_is_a_400_with_a_message(owner_client, project, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    picture = make_picture(project)
    url = reverse("portfolio:picture-update", kwargs={"slug": project.slug, "pk": picture.pk})

    response = owner_client.post(url, {"caption": "x" * 2000})

    assert response.status_code == 400
    assert "Too much form data in one request" in response.content.decode()


# Good inputs ---------------------------------------------------------------------------

GOOD_FORMATS = [
    # (format written, client's name, what is stored, its extension)
    pytest.param("JPEG", "a.jpg", "JPEG", ".jpg", id="jpeg"),
    pytest.param("PNG", "b.png", "PNG", ".png", id="png"),
    pytest.param("WEBP", "c.webp", "WEBP", ".webp", id="webp"),
    pytest.param("GIF", "d.gif", "GIF", ".gif", id="gif"),
    pytest.param("AVIF", "e.avif", "AVIF", ".avif", id="avif"),
    pytest.param("HEIF", "IMG_0001.HEIC", "HEIF", ".heic", id="heic-stays-heic"),
    pytest.param("PNG", "lies.jpg", "PNG", ".png", id="png-named-jpg"),
]


@pytest.mark.parametrize(("written", "name", "stored", "extension"), GOOD_FORMATS)
def test_every_accepted_format_is_stored_under_its_detected_type(
    owner_client, project, written, name, stored, extension
):
    content = image_bytes(written, (64, 48))
    response = upload(owner_client, project, named(name, content))

    assert response.status_code == 302
    picture = Picture.objects.get()
    assert read_stored(picture.photo.name) == content  # Byte for byte.
    assert picture.photo.name.startswith(f"projects/{project.pk}/")
    assert picture.photo.name.endswith(extension)
    assert picture.original_filename == name
    assert (picture.width, picture.height) == (64, 48)
    assert stored_files() == {picture.photo.name}
    with open_stored_image(picture.photo.name) as image:
        assert image.format == stored
        assert image.size == (64, 48)


def test_heic_with_transparency_stays_heic_and_its_renditions_keep_it(owner_client, project):
    buffer = io.BytesIO()
    Image.new("RGBA", (32, 24), (10, 20, 30, 0)).save(buffer, format="HEIF")

    upload(owner_client, project, named("cutout.heic", buffer.getvalue(), "image/heic"))

    picture = Picture.objects.get()
    assert picture.photo.name.endswith(".heic")
    assert read_stored(picture.photo.name) == buffer.getvalue()
    make_renditions.call(picture.pk)
    picture.refresh_from_db()
    with open_stored_image(picture.renditions[0]["name"]) as rendition:
        assert rendition.mode == "RGBA"
        assert rendition.getpixel((0, 0))[3] == 0


def phone_photo(image_format: str = "JPEG") -> bytes:
    """60×40 pixels, red left half and blue right, to be turned 90° clockwise (EXIF 6)."""
    image = Image.new("RGB", (60, 40), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 30, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view.
    exif[0x010F] = "PhoneMaker"
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.5), "W", (1.0, 2.0, 3.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    options = {"exif": exif.tobytes(), "icc_profile": icc}
    if image_format == "JPEG":
        options.update(comment=b"taken at home", xmp=b"<x:xmpmeta>Home address</x:xmpmeta>")
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "AVIF", "HEIF"])
def test_phone_photo_is_stored_as_it_came_and_leaves_without_location_or_serial(
    owner_client, project, image_format
):
    photo = phone_photo(image_format)
    upload(owner_client, project, named("IMG_2024.jpg", photo))

    picture = Picture.objects.get()
    assert read_stored(picture.photo.name) == photo
    assert (picture.width, picture.height) == (40, 60)  # As shown.
    make_renditions.call(picture.pk)
    picture.refresh_from_db()
    with open_stored_image(picture.renditions[-1]["name"]) as rendition:
        assert rendition.size == (40, 60)
        # Turned clockwise: the left (red) half is now on top.
        top, bottom = rendition.getpixel((20, 8)), rendition.getpixel((20, 52))
        assert top[0] > 200 and top[2] < 60
        assert bottom[2] > 200 and bottom[0] < 60
    leaves = original_bytes(picture)
    with Image.open(io.BytesIO(leaves)) as original:
        exif = original.getexif()
        assert exif.get_ifd(0x8825) == {}
        assert 0xA431 not in exif.get_ifd(0x8769)
        assert "comment" not in original.info
        # The colour profile stays, so colours look as the photographer saw them.
        assert original.info.get("icc_profile")
    assert b"SERIAL-12345" not in leaves and b"Home address" not in leaves
    assert b"PhoneMaker" not in leaves


def test_file_above_the_memory_threshold_streams_to_disk_and_is_stored(
    owner_client, project, settings, tmp_path
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    uploads_in_flight = tmp_path / "uploads-in-flight"
    uploads_in_flight.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads_in_flight)
    body = image_bytes("JPEG", (400, 300))
    on_disk_while_judged = []
    real_prepare = prepare_upload

    def look_at_the_temporary_folder(upload, **options):
        # What the gate is given is on disk, whole, not in memory.
        on_disk_while_judged.extend(path.stat().st_size for path in uploads_in_flight.iterdir())
        return real_prepare(upload, **options)

    with mock.patch("portfolio.images.fields.prepare_upload", look_at_the_temporary_folder):
        response = upload(owner_client, project, named("big.jpg", body))

    assert response.status_code == 302
    assert len(body) in on_disk_while_judged
    assert list(uploads_in_flight.iterdir()) == []  # Removed once the request ended.
    assert Picture.objects.get().width == 400


def test_animated_gif_keeps_its_first_frame(owner_client, project):
    frames = [Image.new("P", (20, 10), color) for color in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)

    upload(owner_client, project, named("anim.gif", buffer.getvalue(), "image/gif"))

    picture = Picture.objects.get()
    with open_stored_image(picture.photo.name) as stored:
        assert stored.format == "GIF"
        assert getattr(stored, "n_frames", 1) == 1
        assert stored.size == (20, 10)


@pytest.mark.parametrize(
    "client_name", ["../../../etc/passwd.jpg", "..\\..\\boot.ini.jpg", "evil\x00.php.jpg"]
)
def test_hostile_name_of_a_good_image_is_stored_under_a_random_name(
    owner_client, project, media_root, client_name
):
    disk_before = files_under(media_root.parent)

    response = upload(owner_client, project, named(client_name, image_bytes("JPEG")))

    assert response.status_code == 302
    picture = Picture.objects.get()
    folder, _, filename = picture.photo.name.rpartition("/")
    assert folder == f"projects/{project.pk}"
    assert len(filename) == len("0123456789abcdef0123456789abcdef.jpg")
    assert private_files() == {picture.photo.name}
    # Nothing written on disk but the picture and its renditions, in their storages (nothing
    # at all when media go to buckets).
    assert files_under(media_root.parent) - disk_before <= {
        f"private-media/{picture.photo.name}",
        *(f"media/{name}" for name in picture.rendition_names),
    }
    assert "/" not in picture.original_filename and "\\" not in picture.original_filename
    assert "\x00" not in picture.original_filename


def test_display_name_is_truncated(owner_client, project):
    upload(owner_client, project, named(f"{'a' * 300}.jpeg", image_bytes("JPEG")))

    name = Picture.objects.get().original_filename
    assert len(name) == 120
    assert name.endswith("….jpeg")


# Batches -------------------------------------------------------------------------------


def test_mixed_batch_keeps_the_good_and_lists_the_bad_for_htmx(owner_client, project):
    response = upload(
        owner_client,
        project,
        named("one.jpg", image_bytes("JPEG")),
        named("notes.jpg", b"just some text"),
        named("two.png", image_bytes("PNG"), "image/png"),
        named("empty.png", b"", "image/png"),
        htmx=True,
    )

    assert response.status_code == 200
    assert counts(response) == {"added": 2, "refused": 2}
    html = response.content.decode()
    assert "<html" not in html
    pictures = list(Picture.objects.order_by("position"))
    assert [picture.original_filename for picture in pictures] == ["one.jpg", "two.png"]
    assert stored_files() == {picture.photo.name for picture in pictures}
    assert "2 pictures added." in html
    assert '<span class="file-name">notes.jpg</span>: not an image' in html
    assert '<span class="file-name">empty.png</span>: empty file' in html
    # The new pictures join the grid out of band, as items with the editor's tools.
    assert 'data-hx-swap-oob="beforeend:#picture-grid"' in html
    for picture in pictures:
        assert f'id="picture-{picture.pk}"' in html
    assert html.count('class="picture-tools"') == 2


def test_batch_with_files_that_crashed_the_check_stores_them_all(owner_client, project):
    # A multi-picture JPEG, and EXIF that exif_transpose failed on: each a 500 once.
    response = upload(
        owner_client,
        project,
        named("one.jpg", image_bytes("JPEG")),
        named("stereo.jpg", multi_picture_jpeg()),
        named("damaged.png", image_bytes("PNG", exif=damaged_exif()), "image/png"),
        named("two.webp", image_bytes("WEBP"), "image/webp"),
        htmx=True,
    )

    assert response.status_code == 200
    assert "4 pictures added." in response.content.decode()
    names = Picture.objects.order_by("position").values_list("original_filename", flat=True)
    assert list(names) == ["one.jpg", "stereo.jpg", "damaged.png", "two.webp"]


def test_a_file_whose_check_crashes_is_listed_and_the_rest_of_the_batch_stored(
    owner_client, project, caplog
):
    bad = image_bytes("JPEG", (13, 13))
    real_refusal_reason = gate.structure.refusal_reason

    def crash_on_the_bad_file(data):
        # A fault no file we know of causes any more: a check failing in an unforeseen way.
        if data == bad:
            raise RuntimeError("an unforeseen failure")
        return real_refusal_reason(data)

    with mock.patch.object(gate.structure, "refusal_reason", crash_on_the_bad_file):
        response = upload(
            owner_client,
            project,
            named("one.jpg", image_bytes("JPEG")),
            named("bad.jpg", bad),
            named("two.png", image_bytes("PNG"), "image/png"),
            htmx=True,
        )

    assert response.status_code == 200
    html = response.content.decode()
    assert "2 pictures added." in html
    assert '<span class="file-name">bad.jpg</span>: the file is damaged or unsupported' in html
    pictures = list(Picture.objects.order_by("position"))
    assert [picture.original_filename for picture in pictures] == ["one.jpg", "two.png"]
    assert stored_files() == {picture.photo.name for picture in pictures}
    [logged] = [record for record in caplog.records if record.name == "portfolio.images.gate"]
    assert "bad.jpg" in logged.getMessage() and logged.exc_info[0] is RuntimeError


def test_mixed_batch_without_javascript_redirects_with_messages(owner_client, project):
    response = upload(
        owner_client,
        project,
        named("one.jpg", image_bytes("JPEG")),
        named("notes.jpg", b"just some text"),
    )

    assert response.status_code == 302
    assert response.url == project.get_absolute_url()
    page = owner_client.get(response.url).content.decode()
    assert "1 picture added." in page
    assert "notes.jpg: not an image" in page
    assert Picture.objects.count() == 1


def test_plain_upload_returns_to_the_page_it_came_from(owner_client, project):
    edit_url = reverse("portfolio:project-update", kwargs={"slug": project.slug})

    response = upload(owner_client, project, helper_uploaded_image(), next_url=edit_url)

    assert response.url == edit_url


def test_plain_upload_never_redirects_off_the_site(owner_client, project):
    response = upload(
        owner_client, project, helper_uploaded_image(), next_url="https://evil.example/"
    )

    assert response.url == project.get_absolute_url()


def test_first_upload_to_an_empty_project_is_marked_as_its_cover(owner_client, project):
    response = upload(owner_client, project, helper_uploaded_image(), htmx=True)

    assert 'class="tool-badge cover-badge"' in response.content.decode()


# Nothing half-stored -------------------------------------------------------------------


def test_database_failure_after_the_file_was_written_removes_the_file(project):
    client = Client(raise_request_exception=False)
    client.force_login(project.owner)
    written = []

    def save_then_fail(picture, *args, **kwargs):
        # FieldFile.save() has written the file by now: the row is what fails.
        written.append(picture.photo.name)
        raise DatabaseError("disk full")

    with mock.patch.object(Picture, "save", save_then_fail):
        response = upload(client, project, helper_uploaded_image())

    assert response.status_code == 500
    assert written and written[0].startswith(f"projects/{project.pk}/")
    assert not Picture.objects.exists()
    assert stored_files() == set()


def test_add_picture_removes_its_file_when_the_row_fails(project):
    image = prepare_upload(helper_uploaded_image())
    with (
        mock.patch.object(Picture, "save", side_effect=DatabaseError("constraint")),
        pytest.raises(DatabaseError),
    ):
        project.add_picture(image, original_filename="photo.jpg")

    assert stored_files() == set()


# The form on the page ------------------------------------------------------------------


def test_upload_form_is_ready_for_picking_dropping_and_progress(owner_client, project):
    html = owner_client.get(project.get_absolute_url()).content.decode()

    assert 'id="upload-form"' in html
    upload_url = f"/projects/{project.slug}/pictures/"
    # A plain post without JavaScript; with it, upload.js posts the form once a file.
    assert 'method="post" enctype="multipart/form-data"' in html
    assert f'action="{upload_url}"' in html
    assert "data-hx-post" not in html.split('id="upload-form"')[1].split(">")[0]
    # Each answer's refusal is added to the list, not put in place of the last ones.
    assert (
        'data-hx-target="#upload-errors" data-hx-select="#upload-errors > li" '
        'data-hx-swap="beforeend"'
    ) in html
    assert 'id="drop-zone"' in html
    assert 'name="photos"' in html and " multiple" in html
    assert 'accept="image/*,.heic,.heif,.avif"' in html
    # Shown by upload.js, which sends a folder's files; never posted itself.
    # Folder picking is not standard HTML: upload.js turns it on where the browser has it.
    assert '<input type="file" id="upload-folder" aria-describedby' in html
    assert '<p class="upload-folder" id="upload-folder-choice" hidden>' in html
    assert '<progress id="upload-progress"' in html
    assert '<p id="upload-status" class="upload-status" aria-live="polite">' in html
    assert 'id="upload-errors"' in html
    assert 'id="picture-grid"' in html
    assert "js/upload" in html
    assert "<script>" not in html and " onclick=" not in html
    assert "JPEG, PNG, WebP, GIF, AVIF or HEIC; up to 20 files at a time, 25 MB" in html


def test_upload_form_gives_the_browser_the_limits_from_settings(owner_client, project, settings):
    settings.PORTFOLIO_UPLOAD_MAX_BYTES = 1536 * 1024

    html = owner_client.get(project.get_absolute_url()).content.decode()

    assert f'data-max-file-bytes="{1536 * 1024}"' in html
    # What the server says of a file over the limit, for the browser to say before sending it.
    assert 'data-too-large-reason="larger than 1.5 MB"' in html
    response = upload(owner_client, project, named("big.jpg", b"x" * (1536 * 1024 + 1)), htmx=True)
    assert (
        '<span class="file-name">big.jpg</span>: larger than 1.5 MB' in response.content.decode()
    )


def test_the_upload_form_cleans_its_file_with_the_field_the_admin_uses(project):
    admin_field = Picture._meta.get_field("photo").formfield()

    def form_with(upload):
        return PictureUploadForm({}, MultiValueDict({"photos": [upload]}), project=project)

    assert type(PictureUploadForm(project=project).fields["photos"]) is type(admin_field)
    bad = form_with(named("notes.jpg", b"just some text"))
    assert not bad.is_valid()
    assert bad.errors["photos"] == ["not an image"]
    good = form_with(named("one.jpg", image_bytes("JPEG")))
    # Valid means judged by the gate: the file to store, not yet stored.
    assert good.is_valid()
    assert isinstance(good.cleaned_data["photos"], PreparedPicture)
    assert not Picture.objects.exists()
    assert good.save().original_filename == "one.jpg"


def test_visitors_never_see_the_upload_form_or_picture_tools(client, project):
    make_picture(project)

    html = client.get(project.get_absolute_url()).content.decode()

    assert 'id="upload-form"' not in html
    assert "picture-tools" not in html
    assert "js/upload" not in html


def test_standalone_upload_page_works_without_javascript(owner_client, project):
    response = owner_client.get(reverse("portfolio:picture-upload", kwargs={"slug": project.slug}))

    assert response.status_code == 200
    assert 'id="upload-form"' in response.content.decode()


# What each answer tells upload.js: status and events, never markup -------------------


def test_one_good_file_is_stored_and_answered_200(owner_client, project):
    response = upload(owner_client, project, named("one.jpg", image_bytes("JPEG")), htmx=True)

    assert response.status_code == 200
    [picture] = Picture.objects.all()
    assert events(response) == {
        "upload-judged": {
            "added": 1,
            "refused": 0,
            "pictures": [{"id": picture.pk, "position": picture.position}],
        }
    }
    assert picture.original_filename == "one.jpg"
    assert f'id="picture-{picture.pk}"' in response.content.decode()


def test_one_bad_file_is_refused_400_with_the_gates_reason(owner_client, project):
    response = upload(owner_client, project, named("notes.jpg", b"just some text"), htmx=True)

    assert response.status_code == 400
    assert events(response) == {"upload-judged": {"added": 0, "refused": 1, "pictures": []}}
    assert '<span class="file-name">notes.jpg</span>: not an image' in response.content.decode()
    assert not Picture.objects.exists()
    assert stored_files() == set()


def test_a_batch_of_only_bad_files_is_judged_with_400(owner_client, project):
    response = upload(
        owner_client, project, named("notes.jpg", b"text"), named("empty.png", b""), htmx=True
    )

    assert response.status_code == 400
    assert events(response) == {"upload-judged": {"added": 0, "refused": 2, "pictures": []}}


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_body_too_large_is_refused_413_with_its_message(project, settings, htmx):
    settings.PORTFOLIO_UPLOAD_MAX_BYTES = settings.PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES = 1024
    client = Client(enforce_csrf_checks=True)
    client.force_login(project.owner)
    client.get("/accounts/login/")  # A page with a form: it sets the CSRF cookie.
    big = named("big.jpg", bytes(2 * 1024 * 1024))

    response = client.post(
        reverse("portfolio:picture-upload", kwargs={"slug": project.slug}),
        {"photos": [big]},
        headers={"X-CSRFToken": client.cookies["csrftoken"].value, **(HTMX if htmx else {})},
    )

    assert response.status_code == 413
    assert events(response) == {
        "request-refused": {
            "message": "Too much in one upload: at most 1 KB at a time, you sent 2 MB. "
            "Nothing was uploaded."
        }
    }


def test_a_signed_out_upload_is_refused_with_a_message_and_the_way_to_sign_in(project):
    response = Client().post(
        reverse("portfolio:picture-upload", kwargs={"slug": project.slug}),
        {"photos": [helper_uploaded_image()]},
        headers={**HTMX, "HX-Current-URL": f"http://testserver{project.get_absolute_url()}"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")
    assert events(response) == {
        "request-refused": {"message": PictureUploadView.signed_out_message}
    }
    assert not Picture.objects.exists()


# Requests within time -------------------------------------------------------------------


def test_within_its_budget_a_request_judges_every_file(owner_client, project, settings):
    settings.PORTFOLIO_UPLOAD_REQUEST_SECONDS = 60
    files = [named(f"p{number}.jpg", image_bytes("JPEG")) for number in range(5)]

    response = upload(owner_client, project, *files, htmx=True)

    assert counts(response) == {"added": 5, "refused": 0}
    # Each picture stored, in the order of its file, with the place it took.
    stored = Picture.objects.in_display_order().values("id", "position", "original_filename")
    assert [picture["original_filename"] for picture in stored] == [
        f"p{number}.jpg" for number in range(5)
    ]
    assert events(response)["upload-judged"]["pictures"] == [
        {"id": picture["id"], "position": picture["position"]} for picture in stored
    ]


def test_without_javascript_files_left_unjudged_are_listed_to_send_again(
    owner_client, project, settings
):
    settings.PORTFOLIO_UPLOAD_REQUEST_SECONDS = 0
    files = [named(f"{name}.jpg", image_bytes("JPEG")) for name in ("one", "two", "three")]

    response = upload(owner_client, project, *files)

    assert response.status_code == 302
    page = owner_client.get(response.url).content.decode()
    assert "1 picture added." in page
    for name in ("two.jpg", "three.jpg"):
        assert f"{name}: {NOT_CHECKED_IN_TIME_REASON}" in page
    assert Picture.objects.count() == 1


def test_without_javascript_a_refused_first_file_lists_the_unjudged_ones_too(
    owner_client, project, settings
):
    settings.PORTFOLIO_UPLOAD_REQUEST_SECONDS = 0

    response = upload(
        owner_client,
        project,
        named("notes.jpg", b"just some text"),
        named("one.jpg", image_bytes("JPEG")),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert '<span class="file-name">notes.jpg</span>: not an image' in html
    assert f'<span class="file-name">one.jpg</span>: {NOT_CHECKED_IN_TIME_REASON}' in html
