"""`manage.py build_renditions`: makes what is missing or outdated, and only that."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from PIL import Image

from portfolio.models import Picture
from portfolio.tasks import make_renditions
from tests.helpers import (
    make_picture,
    make_project,
    open_stored_image,
    read_stored,
    rendition_files,
    replace_stored,
)

pytestmark = pytest.mark.django_db


def build(*args) -> str:
    stdout = io.StringIO()
    call_command("build_renditions", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


@pytest.fixture
def pictures():
    # Saved inside the test's transaction: their on-commit renditions never run.
    project = make_project()
    return [make_picture(project, size=(1200, 900), renditions=False) for _ in range(3)]


def test_makes_missing_renditions_with_a_progress_line(pictures):
    output = build()

    assert (
        "3 picture(s) to do for “webp 480 720 960 1200 1600 2400 card placeholder web2048”."
        in output
    )
    assert "[1/3]  33.3%" in output and "[3/3] 100.0%" in output
    assert "Renditions made for 3 picture(s)." in output
    for picture in Picture.objects.all():
        assert [record["width"] for record in picture.renditions] == [480, 720, 960, 1200]
        assert (
            picture.renditions_spec == "webp 480 720 960 1200 1600 2400 card placeholder web2048"
        )
        assert picture.card and picture.placeholder and picture.web_size
    assert len(rendition_files()) == 3 * 6  # Four renditions, a card and a web size each.


def test_second_run_has_nothing_to_do(pictures):
    build()
    before = rendition_files()
    # Marked: a run that wrote them again would replace the marks.
    for name in before:
        replace_stored(name, b"left as it was")

    output = build()

    assert "0 picture(s) to do" in output
    assert "Renditions made for 0 picture(s)." in output
    assert rendition_files() == before
    assert {read_stored(name) for name in before} == {b"left as it was"}


def test_resumes_where_it_stopped(pictures):
    make_renditions.call(pictures[0].pk)  # Done before an interruption.

    output = build()

    assert "2 picture(s) to do" in output


def test_remakes_outdated_renditions_after_a_widths_change(pictures, settings):
    build()
    settings.PORTFOLIO_RENDITION_WIDTHS = (320, 640)

    output = build()

    assert "3 picture(s) to do for “webp 320 640 card placeholder web2048”." in output
    for picture in Picture.objects.all():
        assert [record["width"] for record in picture.renditions] == [320, 640]
        assert picture.renditions_spec == "webp 320 640 card placeholder web2048"
    # The files of the old widths are gone, only the new ones are left.
    assert rendition_files() == {
        name for picture in Picture.objects.all() for name in picture.rendition_names
    }
    assert len(rendition_files()) == 3 * 4


def test_remakes_after_a_format_change(pictures, settings):
    build()
    settings.PORTFOLIO_RENDITION_FORMAT = "avif"

    build()

    assert rendition_files()
    assert all(name.endswith((".avif", "_card.jpg", "_web.jpg")) for name in rendition_files())
    assert len(rendition_files()) == 3 * 6


def test_force_remakes_everything(pictures):
    build()
    before = rendition_files()
    # Spoilt, though their records say they are up to date: only a remake brings them back.
    for name in before:
        replace_stored(name, b"spoilt")

    output = build("--force")

    assert "3 picture(s) to do" in output
    assert "Renditions made for 3 picture(s)." in output
    remade = Picture.objects.all()
    assert {name for picture in remade for name in picture.rendition_names} == before
    assert rendition_files() == before
    for picture in remade:
        for record in picture.renditions:
            with open_stored_image(record["name"]) as rendition:
                assert rendition.format == "WEBP"
                assert rendition.size == (record["width"], record["height"])


def test_a_broken_file_is_reported_and_the_others_are_made(pictures):
    broken = [make_picture(make_project(), renditions=False) for _ in range(2)]
    for picture in broken:
        replace_stored(picture.photo.name, b"this is no longer an image")
    stderr = io.StringIO()

    ids = f"{broken[0].pk}, {broken[1].pk}"
    with pytest.raises(CommandError, match=f"2 picture\\(s\\) failed, ids: {ids}$"):
        call_command("build_renditions", stdout=io.StringIO(), stderr=stderr)

    assert f"Picture {broken[0].pk}: UnidentifiedImageError" in stderr.getvalue()
    assert all(Picture.objects.get(pk=picture.pk).renditions for picture in pictures)
    assert all(Picture.objects.get(pk=picture.pk).renditions == [] for picture in broken)


def png_picture(image: Image.Image) -> Picture:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    picture = Picture(project=make_project())
    picture.photo.save("picture.png", ContentFile(buffer.getvalue(), name="picture.png"))
    return picture


def test_pictures_that_failed_at_every_run_now_get_their_renditions():
    # Beyond WebP's 16,383 px on one side; 16-bit greyscale, which came out white.
    long = png_picture(Image.new("L", (1, 100_000), 200))
    deep = png_picture(Image.new("I;16", (800, 600), 32896))

    output = build()

    assert "Renditions made for 2 picture(s)." in output
    long.refresh_from_db()
    assert [(record["width"], record["height"]) for record in long.renditions] == [(1, 16383)]
    deep.refresh_from_db()
    with open_stored_image(deep.renditions[0]["name"]) as rendition:
        red, green, blue = rendition.convert("RGB").getpixel((100, 100))
    assert all(abs(channel - 128) <= 4 for channel in (red, green, blue))
