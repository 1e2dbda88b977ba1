"""
The gate itself: what it refuses, what it records of a file it stores as it came, and that
nothing passes by it; and the colour profile an original leaves with.
"""

import io
import logging

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from portfolio.images.gate import (
    DAMAGED_OR_UNSUPPORTED,
    PreparedPicture,
    UploadRejected,
    prepare_upload,
)
from portfolio.images.icc import MAX_PROFILE_BYTES
from portfolio.images.originals import as_it_leaves
from portfolio.images.renditions import render_renditions
from portfolio.models import Picture
from tests.helpers import (
    P3_BLUE,
    P3_GREEN,
    P3_RED,
    PAYLOAD,
    damaged_exif,
    display_p3_like,
    exif_with_location,
    image_bytes,
    make_project,
    multi_picture_jpeg,
    read_stored,
    stored_files,
)


def judged(content: bytes, name: str = "photo") -> PreparedPicture:
    return prepare_upload(SimpleUploadedFile(name, content))


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def leaving(data: bytes) -> bytes:
    """An original as it leaves the site, with no credit and no camera details."""
    return as_it_leaves(data, {}, camera_details=False)


# Files that crashed the check -------------------------------------------------------------


def test_multi_picture_jpeg_is_stored_as_it_came_and_leaves_as_its_first_picture():
    upload = multi_picture_jpeg((64, 48))
    prepared = judged(upload)

    assert prepared.name == "picture.jpg"
    assert prepared.read() == upload
    assert prepared.metadata["file"]["format"] == "MPO"
    image = opened(leaving(upload))
    assert image.format == "JPEG"
    assert getattr(image, "n_frames", 1) == 1
    assert image.size == (64, 48)
    red, green, blue = image.getpixel((32, 24))
    assert red > 180 and blue < 80  # The first picture, the red one.


DAMAGED_EXIF = [
    # Rewriting it after turning raised struct.error in exif_transpose.
    pytest.param(damaged_exif(), (24, 32), id="struct"),
    # Not a TIFF structure at all: SyntaxError.
    pytest.param(b"garbage, not a TIFF header", (32, 24), id="not-tiff"),
]


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize(("exif", "stored_size"), DAMAGED_EXIF)
def test_damaged_exif_is_read_defensively_and_the_picture_kept(image_format, exif, stored_size):
    if image_format == "JPEG":
        exif = b"Exif\x00\x00" + exif
    upload = image_bytes(image_format, (32, 24), exif=exif)

    prepared = judged(upload)

    assert prepared.read() == upload
    # Turned when the orientation could still be read.
    assert prepared.display_size == stored_size


def test_any_error_while_judging_refuses_the_file_and_logs_it(caplog):
    upload = SimpleUploadedFile("photo.jpg", image_bytes("JPEG"))
    upload.file.close()  # Gone under us, as a file can be: reading it raises ValueError.

    with caplog.at_level(logging.WARNING), pytest.raises(UploadRejected) as refusal:
        prepare_upload(upload)

    assert refusal.value.reason == DAMAGED_OR_UNSUPPORTED
    [record] = [record for record in caplog.records if record.name == "portfolio.images.gate"]
    assert "photo.jpg" in record.getMessage()
    assert record.exc_info and record.exc_info[0] is ValueError


# The model API and commands pass the gate ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (image_bytes("BMP"), "BMP is not accepted"),
        (image_bytes("TIFF"), "TIFF is not accepted"),
        (b"%PDF-1.7\n%%EOF\n", "PDF is not accepted"),
        (b"just some text", "not an image"),
    ],
)
def test_add_picture_refuses_what_the_upload_form_refuses(content, reason):
    project = make_project()

    with pytest.raises(UploadRejected, match=reason):
        project.add_picture(ContentFile(content, name="photo.jpg"))

    assert not Picture.objects.exists()
    assert stored_files() == set()


@pytest.mark.django_db
def test_add_picture_stores_a_phone_photo_as_it_came_and_its_size_as_shown():
    project = make_project()
    photo = image_bytes("JPEG", (60, 40), exif=exif_with_location(orientation=6))

    picture = project.add_picture(ContentFile(photo, name="IMG_0001.jpg"))

    assert (picture.width, picture.height) == (40, 60)
    assert read_stored(picture.photo.name) == photo
    facts = picture.metadata["file"]
    assert facts["orientation"] == 6 and (facts["width"], facts["height"]) == (40, 60)
    leaves = leaving(photo)
    assert b"SERIAL-12345" not in leaves and b"PhoneMaker" not in leaves
    assert opened(leaves).getexif()[0x0112] == 6  # Still shown upright.


@pytest.mark.django_db
def test_saving_a_photo_through_the_model_passes_the_gate():
    picture = Picture(project=make_project())

    picture.photo.save("stereo.jpg", ContentFile(multi_picture_jpeg()), save=True)

    assert read_stored(picture.photo.name) == multi_picture_jpeg()
    assert picture.metadata["file"]["format"] == "MPO"
    with pytest.raises(UploadRejected, match="BMP is not accepted"):
        Picture(project=picture.project).photo.save("old.bmp", ContentFile(image_bytes("BMP")))
    assert stored_files() == {picture.photo.name}


@pytest.mark.django_db
def test_a_file_assigned_then_saved_passes_the_gate_and_is_named_by_its_content():
    picture = Picture(project=make_project())
    picture.photo = File(io.BytesIO(image_bytes("PNG", exif=exif_with_location())), "lies.jpg")

    picture.save()

    assert picture.photo.name.endswith(".png")
    assert b"SERIAL-12345" not in leaving(read_stored(picture.photo.name))


@pytest.mark.django_db
def test_a_prepared_picture_is_stored_as_it_is_never_judged_twice():
    prepared = judged(image_bytes("JPEG", (64, 48), quality=30))
    picture = Picture(project=make_project())

    picture.photo.save("photo.jpg", prepared, save=True)

    assert read_stored(picture.photo.name) == prepared.open().read()


# What is kept of a colour profile ---------------------------------------------------------


def parsed(profile: bytes) -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(io.BytesIO(profile))


@pytest.mark.parametrize("version", [2, 4])
@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_display_p3_profile_leaves_rebuilt_from_its_colour_tags_only(image_format, version):
    profile = display_p3_like(version)
    assert len(profile) < MAX_PROFILE_BYTES and parsed(profile)  # A sane profile.
    upload = image_bytes(image_format, icc_profile=profile)

    stored = leaving(judged(upload).read())

    kept = parsed(opened(stored).info["icc_profile"]).profile
    assert kept.red_colorant[0] == pytest.approx(P3_RED, abs=0.001)
    assert kept.green_colorant[0] == pytest.approx(P3_GREEN, abs=0.001)
    assert kept.blue_colorant[0] == pytest.approx(P3_BLUE, abs=0.001)
    assert kept.profile_description.strip() == "Display P3"
    assert b"<script>" not in stored and b"evil.example" not in stored
    assert "<script>".encode("utf-16-be") not in stored


@pytest.mark.parametrize(
    ("image_format", "profile"),
    [
        # The 16 MB profile on a 64×48 picture the issue saw kept verbatim.
        pytest.param(
            "JPEG", display_p3_like(extra={b"zzzz": PAYLOAD.encode() * 220_000}), id="16-mb-jpeg"
        ),
        pytest.param(
            "PNG", display_p3_like(extra={b"zzzz": b"x" * MAX_PROFILE_BYTES}), id="over-64-kb-png"
        ),
    ],
)
def test_an_oversized_profile_leaves_as_it_came_and_renditions_apply_it(image_format, profile):
    assert len(profile) > MAX_PROFILE_BYTES
    p3_green = (40, 200, 60)
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), p3_green),
        parsed(display_p3_like()),
        ImageCms.createProfile("sRGB"),
    ).getpixel((0, 0))

    colour = p3_green + (255,) if image_format == "PNG" else p3_green
    upload = image_bytes(image_format, (64, 48), color=colour, icc_profile=profile)

    # The pixels are the photographer's: they leave with the profile that says their colours.
    assert opened(leaving(judged(upload).read())).info["icc_profile"] == profile
    [rendition] = render_renditions(io.BytesIO(upload), [64])
    image = opened(rendition.data)
    assert "icc_profile" not in image.info
    assert image.getpixel((0, 0))[:3] == pytest.approx(expected, abs=3)
    assert expected != p3_green


def test_a_profile_that_does_not_parse_is_dropped_and_the_picture_kept():
    prepared = judged(image_bytes("JPEG", icc_profile=b"<html>not a profile</html>" * 20))

    leaves = leaving(prepared.read())
    assert "icc_profile" not in opened(leaves).info
    assert b"<html>" not in leaves


def test_gps_and_text_never_leave_with_the_original():
    text = b"<x:xmpmeta>Home address, <script>alert(1)</script></x:xmpmeta>"
    photo = image_bytes(
        "JPEG",
        exif=exif_with_location(),
        icc_profile=display_p3_like(),
        comment=b"taken at home <b>here</b>",
        xmp=text,
    )

    stored = leaving(judged(photo).read())

    for secret in [b"SERIAL-12345", b"PhoneMaker", b"Home address", b"<b>", b"script"]:
        assert secret not in stored


def test_a_kept_profile_carries_no_text_of_the_upload():
    profile = display_p3_like(2)
    marked = profile.replace(b"Display P3", b"ICCMARKER ")  # Same length: the tag table holds.
    assert b"ICCMARKER" in marked

    stored = leaving(judged(image_bytes("JPEG", icc_profile=marked)).read())

    kept = parsed(opened(stored).info["icc_profile"]).profile
    assert kept.profile_description.strip() == "Colour profile"
    assert b"ICCMARKER" not in stored and "ICCM".encode("utf-16-be") not in stored


@pytest.mark.django_db
def test_an_upload_assigned_to_a_picture_is_not_opened_before_the_gate_judges_it():
    project = make_project()
    picture = Picture(project=project, photo=SimpleUploadedFile("photo.jpg", image_bytes("JPEG")))

    # Django would read its size with Pillow at once, outside the gate's budget.
    assert (picture.width, picture.height) == (0, 0)

    picture.save()
    assert (picture.width, picture.height) == (64, 48)
